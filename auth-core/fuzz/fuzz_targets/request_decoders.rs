//! The request decoders on arbitrary bytes: the JSON and form bodies of register, login,
//! refresh, token and admin-patch requests, decoded as both framework crates decode them
//! (`auth_core::http::decode_body`), then their validation; query strings and path
//! parameters; and the header readers (content type, bearer, X-Forwarded-For). No panic on
//! any input.
#![no_main]

use std::net::IpAddr;

use auth_core::{
    Email, Username,
    http::{
        AcceptedBodies, BodyKind, LoginRequest, RefreshRequest, RegisterRequest, TokenRequest,
        TrustedProxies, UserPatchRequest, bearer_token, decode_body, decode_path, decode_query,
        has_no_body,
    },
};
use libfuzzer_sys::fuzz_target;

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) -> (Option<T>, Option<T>) {
    (decode_body(BodyKind::Json, data).ok(), decode_body(BodyKind::Form, data).ok())
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct IdPath {
    id: i64,
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
    let _ = AcceptedBodies::JsonOrForm.body_kind(Some(text));
    let _ = decode_query::<UserPatchRequest>(text);
    let pairs: Vec<(&str, &str)> =
        text.split('/').map(|p| p.split_once('=').unwrap_or(("id", p))).collect();
    let _ = decode_path::<IdPath>(&pairs);
    let _ = decode_path::<String>(&pairs);
    let _ = decode_path::<(i64, bool)>(&pairs);
    let proxies: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap();
    let peer: IpAddr = "10.0.0.1".parse().unwrap();
    let _ = proxies.client_ip(peer, Some(text));
    let _ = text.parse::<TrustedProxies>();
});
