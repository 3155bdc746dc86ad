//! The request decoders on arbitrary bytes: the JSON and form bodies of register, login,
//! refresh, token and admin-patch requests (as the axum and actix routers decode them,
//! with serde_json and serde_urlencoded), then their validation; and the header readers
//! (content type, bearer, Basic, X-Forwarded-For). No panic on any input.
#![no_main]

use std::net::IpAddr;

use auth_core::{
    Email, Username,
    http::{
        BodyKind, LoginRequest, RefreshRequest, RegisterRequest, TokenRequest, TrustedProxies,
        UserPatchRequest, bearer_token, has_no_body, is_empty_basic,
    },
};
use libfuzzer_sys::fuzz_target;

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) -> (Option<T>, Option<T>) {
    (serde_json::from_slice(data).ok(), serde_urlencoded::from_bytes(data).ok())
}

fuzz_target!(|data: &[u8]| {
    for register in <[Option<RegisterRequest>; 2]>::from(decode(data)).into_iter().flatten() {
        let _ = register.into_registration();
    }
    for patch in <[Option<UserPatchRequest>; 2]>::from(decode(data)).into_iter().flatten() {
        let _ = patch.into_patch();
    }
    let _: (Option<LoginRequest>, _) = decode(data);
    let _: (Option<RefreshRequest>, _) = decode(data);
    let _: (Option<TokenRequest>, _) = decode(data);

    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Username::parse(text);
    let _ = Email::parse(text);
    let _ = BodyKind::of(Some(text));
    let _ = has_no_body(Some(text), Some(text));
    let _ = bearer_token(Some(text));
    let _ = is_empty_basic(Some(text));
    let proxies: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap();
    let peer: IpAddr = "10.0.0.1".parse().unwrap();
    let _ = proxies.client_ip(peer, Some(text));
    let _ = text.parse::<TrustedProxies>();
});
