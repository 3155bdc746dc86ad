//! The refresh-token decoder, and the reader that finds a refresh token in a body or an
//! `Authorization` header, on arbitrary input: no panic, and an accepted token is exactly
//! the 43 base64url characters that were presented.
#![no_main]

use auth_core::{RefreshToken, http::presented_refresh_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(token) = RefreshToken::parse(text) {
        assert_eq!(token.expose(), text);
        assert_eq!(text.len(), 43);
        let _ = token.digest();
    }
    // Split the input into a body field and a header value, at a character boundary.
    let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let (body, header) = text.split_at(mid);
    let _ = presented_refresh_token(Some(body), Some(header));
    let _ = presented_refresh_token(None, Some(text));
    let _ = presented_refresh_token(Some(text), None);
});
