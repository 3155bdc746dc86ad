//! Shared helpers of the contract suite: requests and fully read replies, test users, crafted
//! tokens, and the assertions the cases repeat.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use rand::Rng;
use reqwest::{Method, RequestBuilder, header::HeaderMap};
use serde_json::{Value, json};

use super::Target;

/// Timeout of every HTTP exchange of the suite.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The keys of a `UserOut`, exactly.
pub const USER_KEYS: &[&str] = &[
    "id",
    "username",
    "email",
    "email_verified",
    "pending_email",
    "role",
    "is_active",
    "mfa_enabled",
    "created_at",
];

/// The keys of a task, exactly.
pub const TASK_KEYS: &[&str] =
    &["id", "owner_id", "title", "description", "done", "created_at", "updated_at"];

/// The keys of a token pair, exactly.
pub const TOKEN_PAIR_KEYS: &[&str] = &["access_token", "token_type", "expires_in", "refresh_token"];

/// A new HTTP client: no redirects, no proxy, a 30 s timeout.
///
/// A client is made per request: a pooled connection must not outlive the test's runtime.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        // Plain HTTP only: no root certificates to load (with reqwest's `rustls` feature on,
        // the platform's would be read for every client, slowing every request).
        .tls_certs_only([])
        .timeout(HTTP_TIMEOUT)
        .build()
        .expect("build the HTTP client")
}

/// A fully read HTTP response.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A header as text, if present (and visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics (showing the body) if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// Panics (showing the body) unless the status is `status`.
    pub fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        self
    }
}

/// The absolute URL of `path` (which starts with `/`).
pub fn url(t: &Target, path: &str) -> String {
    format!("{}{path}", t.base_url)
}

/// A request on a fresh client.
pub fn request(t: &Target, method: Method, path: &str) -> RequestBuilder {
    http().request(method, url(t, path))
}

/// Adds `Authorization: Bearer <token>` when a token is given.
pub fn with_bearer(rb: RequestBuilder, bearer: Option<&str>) -> RequestBuilder {
    match bearer {
        Some(token) => rb.header("authorization", format!("Bearer {token}")),
        None => rb,
    }
}

/// Sends a request and reads the whole response; panics on a transport error.
pub async fn send(rb: RequestBuilder) -> Reply {
    let resp = rb.send().await.unwrap_or_else(|e| panic!("HTTP request failed: {e:?}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap_or_else(|e| panic!("reading the body failed: {e:?}"));
    Reply { status, headers, body: body.to_vec() }
}

/// `GET path`, with an optional bearer.
pub async fn get(t: &Target, path: &str, bearer: Option<&str>) -> Reply {
    send(with_bearer(request(t, Method::GET, path), bearer)).await
}

/// `DELETE path`, with an optional bearer.
pub async fn delete(t: &Target, path: &str, bearer: Option<&str>) -> Reply {
    send(with_bearer(request(t, Method::DELETE, path), bearer)).await
}

/// `POST path` with a JSON body, with an optional bearer.
pub async fn post_json(t: &Target, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
    send(with_bearer(request(t, Method::POST, path), bearer).json(body)).await
}

/// `PATCH path` with a JSON body, with an optional bearer.
pub async fn patch_json(t: &Target, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
    send(with_bearer(request(t, Method::PATCH, path), bearer).json(body)).await
}

/// `POST path` with an `application/x-www-form-urlencoded` body.
pub async fn post_form(t: &Target, path: &str, fields: &[(&str, &str)]) -> Reply {
    send(request(t, Method::POST, path).form(fields)).await
}

/// `POST path` with a raw body of the given content type.
pub async fn post_raw(
    t: &Target,
    path: &str,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> Reply {
    send(request(t, Method::POST, path).header("content-type", content_type).body(body.into()))
        .await
}

/// `len` random ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    rand::rng().sample_iter(&rand::distr::Alphanumeric).take(len).map(char::from).collect()
}

/// A fresh valid username: `u` and 10 random lowercase letters or digits.
pub fn unique_username() -> String {
    format!("u{}", random_alnum(10).to_ascii_lowercase())
}

/// A fresh password that passes the strength check (16 random letters and digits).
pub fn strong_password() -> String {
    random_alnum(16)
}

/// A registered and logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The user id.
    pub id: i64,
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
    /// The `UserOut` the server returned.
    pub out: Value,
    /// An access token.
    pub access: String,
    /// A refresh token.
    pub refresh: String,
}

/// The `id` of a `UserOut` or task.
pub fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no integer id in {v}"))
}

/// Registers a user (no bearer); asserts 201 and returns the `UserOut`.
pub async fn register(t: &Target, username: &str, password: &str) -> Value {
    let body = json!({"username": username, "password": password});
    post_json(t, "/auth/register", None, &body).await.expect_status(201).json()
}

/// A JSON login, whatever its outcome.
pub async fn login_raw(t: &Target, username: &str, password: &str) -> Reply {
    post_json(t, "/auth/login", None, &json!({"username": username, "password": password})).await
}

/// A JSON login; asserts a valid token pair and returns `(access, refresh)`.
pub async fn login(t: &Target, username: &str, password: &str) -> (String, String) {
    assert_token_pair(t, &login_raw(t, username, password).await)
}

/// Logs the bootstrapped admin in; returns `(access, refresh)`.
pub async fn admin_login(t: &Target) -> (String, String) {
    login(t, &t.admin_username, &t.admin_password).await
}

/// A fresh user with role `user`, registered and logged in.
pub async fn new_user(t: &Target) -> TestUser {
    let (username, password) = (unique_username(), strong_password());
    let out = register(t, &username, &password).await;
    let (access, refresh) = login(t, &username, &password).await;
    TestUser { id: id_of(&out), username, password, out, access, refresh }
}

/// The bootstrapped admin, logged in.
pub async fn admin_user(t: &Target) -> TestUser {
    let (access, refresh) = admin_login(t).await;
    let out = get(t, "/auth/me", Some(&access)).await.expect_status(200).json();
    TestUser {
        id: id_of(&out),
        username: t.admin_username.clone(),
        password: t.admin_password.clone(),
        out,
        access,
        refresh,
    }
}

/// `PATCH /admin/users/{id}` as the admin; asserts 200 and returns the `UserOut`.
pub async fn admin_patch_user(t: &Target, id: i64, patch: &Value) -> Value {
    let admin = admin_login(t).await.0;
    let r = patch_json(t, &format!("/admin/users/{id}"), Some(&admin), patch).await;
    let user = r.expect_status(200).json();
    assert_user_out(&user);
    user
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs()
}

/// Base64url without padding.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `base64url(header).base64url(claims)`, the signed part of a JWT.
pub fn jwt_signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64url(header.to_string()), b64url(claims.to_string()))
}

/// A JWT with exactly this header and these claims, signed with `key` in `alg` (whatever
/// the header says).
pub fn craft_token_with_key(
    key: &EncodingKey,
    alg: Algorithm,
    header: &Value,
    claims: &Value,
) -> String {
    let input = jwt_signing_input(header, claims);
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("sign");
    format!("{input}.{signature}")
}

/// A JWT with exactly this header and these claims, signed with the server's key.
pub fn craft_token(t: &Target, header: Value, claims: Value) -> String {
    craft_token_with_key(&t.key.encoding_key(), t.key.algorithm(), &header, &claims)
}

/// The header of a valid access token: `{"alg":"<the server's>","typ":"at+jwt"}`.
pub fn access_header(t: &Target) -> Value {
    json!({"alg": format!("{:?}", t.key.algorithm()), "typ": "at+jwt"})
}

/// The claims of a valid access token for `user`, valid for five minutes.
pub fn access_claims(t: &Target, user: &TestUser) -> Value {
    let now = now();
    let sid =
        if user.access.is_empty() { Value::Null } else { jwt_claims(&user.access)["sid"].clone() };
    json!({
        "sub": user.id.to_string(),
        "username": user.username,
        "role": user.out["role"],
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iss": t.issuer,
        "aud": t.audience,
        // The session of the user's real token: store-checked requests want an open one.
        "sid": sid,
    })
}

/// Part `index` (0 header, 1 claims) of a JWT, decoded as JSON.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap_or_else(|| panic!("not a JWT: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_else(|e| panic!("bad base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT part is not JSON: {e}"))
}

/// The claims of a JWT, unverified.
pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// Asserts that `v` is an object with exactly these keys.
pub fn assert_keys(v: &Value, keys: &[&str]) {
    let obj = v.as_object().unwrap_or_else(|| panic!("not a JSON object: {v}"));
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want = keys.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "keys of {v}");
}

/// Whether `s` looks like an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let fixed = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !fixed {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let offset = rest.as_bytes();
    matches!(rest, "Z" | "z")
        || (offset.len() == 6
            && matches!(offset[0], b'+' | b'-')
            && offset[1..3].iter().all(u8::is_ascii_digit)
            && offset[3] == b':'
            && offset[4..6].iter().all(u8::is_ascii_digit))
}

/// Asserts that `v` is a `UserOut`: exactly its keys, with the right types, no secrets.
pub fn assert_user_out(v: &Value) {
    assert_keys(v, USER_KEYS);
    assert!(v["id"].is_i64(), "id: {v}");
    assert!(v["username"].is_string(), "username: {v}");
    assert!(v["email"].is_string() || v["email"].is_null(), "email: {v}");
    assert!(v["role"] == "user" || v["role"] == "admin", "role: {v}");
    assert!(v["is_active"].is_boolean(), "is_active: {v}");
    assert!(v["created_at"].as_str().is_some_and(is_rfc3339), "created_at: {v}");
}

/// Asserts that `v` is a task: exactly its keys, with the right types.
pub fn assert_task(v: &Value) {
    assert_keys(v, TASK_KEYS);
    assert!(v["id"].is_i64() && v["owner_id"].is_i64(), "ids: {v}");
    assert!(v["title"].is_string(), "title: {v}");
    assert!(v["description"].is_string() || v["description"].is_null(), "description: {v}");
    assert!(v["done"].is_boolean(), "done: {v}");
    for key in ["created_at", "updated_at"] {
        assert!(v[key].as_str().is_some_and(is_rfc3339), "{key}: {v}");
    }
}

/// Asserts a `200` token pair (exact keys, `bearer`, `expires_in`, `Cache-Control: no-store`)
/// and returns `(access, refresh)`.
pub fn assert_token_pair(t: &Target, r: &Reply) -> (String, String) {
    let pair = r.expect_status(200).json();
    assert_keys(&pair, TOKEN_PAIR_KEYS);
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"].as_u64(), Some(t.access_ttl_secs), "expires_in: {pair}");
    assert_no_store(r);
    let token = |key: &str| {
        let s = pair[key].as_str().unwrap_or_else(|| panic!("{key} is not a string: {pair}"));
        assert!(!s.is_empty(), "{key} is empty");
        s.to_owned()
    };
    (token("access_token"), token("refresh_token"))
}

/// Asserts `Cache-Control: no-store`.
pub fn assert_no_store(r: &Reply) {
    let cc = r.header("cache-control").unwrap_or_default();
    assert!(
        cc.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-store")),
        "Cache-Control: {cc:?}"
    );
}

/// Asserts the status and an error body of exactly `{"detail": <string>, "code": code}`;
/// returns the body.
pub fn assert_error(r: &Reply, status: u16, code: &str) -> Value {
    let body = r.expect_status(status).json();
    assert_keys(&body, &["detail", "code"]);
    assert!(body["detail"].is_string(), "detail is not a string: {body}");
    assert_eq!(body["code"], code, "error code; body: {body}");
    body
}

/// Asserts a `422 validation_error` whose detail starts with `field:`; returns the body.
pub fn assert_validation(r: &Reply, field: &str) -> Value {
    let body = assert_error(r, 422, "validation_error");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with(&format!("{field}:")), "detail should name {field}: {detail:?}");
    body
}

/// Asserts the exact `WWW-Authenticate` header.
pub fn assert_www_authenticate(r: &Reply, expected: &str) {
    assert_eq!(
        r.header("www-authenticate"),
        Some(expected),
        "WWW-Authenticate; body: {}",
        r.text()
    );
}

/// Asserts `401 not_authenticated` with `WWW-Authenticate: Bearer`.
pub fn assert_not_authenticated(r: &Reply) {
    assert_error(r, 401, "not_authenticated");
    assert_www_authenticate(r, "Bearer");
}

/// Asserts `401 invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`.
pub fn assert_invalid_token(r: &Reply) {
    assert_error(r, 401, "invalid_token");
    assert_www_authenticate(r, "Bearer error=\"invalid_token\"");
}

/// Asserts `403 forbidden` with `WWW-Authenticate: Bearer error="insufficient_scope"`.
pub fn assert_forbidden(r: &Reply) {
    assert_error(r, 403, "forbidden");
    assert_www_authenticate(r, "Bearer error=\"insufficient_scope\"");
}

/// Asserts `401 invalid_credentials` with `WWW-Authenticate: Bearer`.
pub fn assert_invalid_credentials(r: &Reply) {
    assert_error(r, 401, "invalid_credentials");
    assert_www_authenticate(r, "Bearer");
}

/// Asserts an empty `204`.
pub fn assert_no_content(r: &Reply) {
    r.expect_status(204);
    assert!(r.body.is_empty(), "204 with a body: {:?}", r.text());
}

/// Asserts that `GET /health` still answers `200` (the server survived).
pub async fn assert_healthy(t: &Target) {
    get(t, "/health", None).await.expect_status(200);
}

/// Runs `n` copies of a task at once on the runtime's threads; returns their outputs in order.
pub async fn concurrently<F, Fut, O>(n: usize, f: F) -> Vec<O>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = O> + Send + 'static,
    O: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("concurrent task panicked"));
    }
    out
}

/// How many of `statuses` equal `status`.
pub fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|&&s| s == status).count()
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, decode};

    use super::*;

    fn user() -> TestUser {
        TestUser {
            id: 7,
            username: "alice".into(),
            password: String::new(),
            out: json!({"role": "user"}),
            access: String::new(),
            refresh: String::new(),
        }
    }

    #[test]
    fn crafted_tokens_verify_with_the_target_settings() {
        let t = Target::for_unit_tests("http://127.0.0.1:1".into());
        let token = craft_token(&t, access_header(&t), access_claims(&t, &user()));
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&t.issuer]);
        validation.set_audience(&[&t.audience]);
        let key = DecodingKey::from_secret(t.key.public_or_secret_bytes());
        let data = decode::<Value>(&token, &key, &validation).expect("valid token");
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(data.claims["sub"], "7");
        assert_eq!(jwt_claims(&token), data.claims);
    }

    #[test]
    fn rfc3339_shapes() {
        for good in
            ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00+02:00"]
        {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in
            ["2024-05-01 12:00:00", "2024-05-01T12:00:00", "2024-05-01T12:00:00.Z", "1714564800"]
        {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn usernames_and_passwords_have_the_right_shape() {
        let name = unique_username();
        assert_eq!(name.len(), 11);
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(unique_username(), name);
        assert_eq!(strong_password().len(), 16);
    }
}
