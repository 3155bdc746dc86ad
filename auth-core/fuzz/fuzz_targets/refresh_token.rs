//! The refresh-token decoder, and the bearer reader that finds one in an `Authorization`
//! header, on arbitrary input: no panic, and an accepted token is exactly the 43 base64url
//! characters that were presented.
#![no_main]

use auth_core::{RefreshToken, http::bearer_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(token) = RefreshToken::parse(text) {
        assert_eq!(token.expose(), text);
        assert_eq!(text.len(), 43);
        let _ = token.digest();
    }
    if let Some(token) = bearer_token(Some(text)) {
        let _ = RefreshToken::parse(token);
    }
});
