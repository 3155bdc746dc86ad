//! Property tests (proptest) for what parses untrusted input: the validators (username,
//! e-mail, password length, one-time codes), the access-token verifier, the refresh-token decoder and the
//! HTTP header readers. Each property holds for every input, not just the examples in the
//! unit tests: no panic, and what is accepted keeps the type's invariants.

use std::{net::IpAddr, sync::Arc};

use auth_core::{
    AccessGrant, AccessTokens, Auth, AuthConfig, Email, KeySet, MemoryStore, OneTimeCode, Password,
    RefreshToken, Role, SigningKey, SystemClock, UserId, Username, UsernameRules,
    http::{TrustedProxies, bearer_token},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

const SECRET: &[u8] = b"property-test secret of at least 32 bytes";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn config() -> AuthConfig {
    AuthConfig::builder(KeySet::new(SigningKey::hs256(SECRET).unwrap())).build().unwrap()
}

fn auth() -> Auth {
    Auth::new(config(), Arc::new(MemoryStore::new()))
}

/// Strings that mix what validators must think about: ASCII, Latin letters with and
/// without combining marks, compatibility forms, white space, controls, NUL, CR/LF.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            2 => prop::char::range('A', 'Z'),
            2 => prop::char::range('0', '9'),
            1 => prop::sample::select(vec!['_', '-', '.', '@', ' ', '\t', '\r', '\n', '\0', '\u{7f}']),
            1 => prop::sample::select(vec!['é', 'e', '\u{301}', 'ß', 'ﬁ', 'Ａ', 'İ', 'ı', 'Σ', 'ς', '\u{200b}', '\u{202e}']),
            1 => any::<char>(),
        ],
        0..40,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An accepted username is 4–20 characters (the default rules) of letters, digits, `_`, `-`, `.`, in NFKC;
    /// its key is the case-folded form; parsing it again gives the same user.
    #[test]
    fn usernames_keep_their_invariants(raw in tricky_text()) {
        if let Ok(name) = Username::parse(&raw) {
            let display = name.as_str();
            let len = display.chars().count();
            let (min, max) = (UsernameRules::DEFAULT_MIN_CHARS, UsernameRules::DEFAULT_MAX_CHARS);
            prop_assert!((min..=max).contains(&len), "{display:?}");
            prop_assert!(display.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c)));
            prop_assert_eq!(display.nfkc().collect::<String>(), display);
            prop_assert_eq!(name.key(), display.to_lowercase().nfkc().collect::<String>());
            let again = Username::parse(display).unwrap();
            prop_assert_eq!(again.key(), name.key());
        }
    }

    /// Usernames are one user whatever the case or the Unicode composition.
    #[test]
    fn usernames_ignore_case_and_composition(raw in "[a-zA-Zéèü]{4,10}") {
        let nfc: String = raw.nfc().collect();
        let nfd: String = raw.nfd().collect();
        let composed = Username::parse(&nfc).unwrap();
        let decomposed = Username::parse(&nfd).unwrap();
        let upper = Username::parse(&nfc.to_uppercase()).unwrap();
        prop_assert_eq!(decomposed.key(), composed.key());
        prop_assert_eq!(upper.key(), composed.key());
    }

    /// An accepted e-mail has one `@` between a local part and a dotted domain, no white
    /// space or controls, at most 254 bytes, and reads back as itself.
    #[test]
    fn emails_keep_their_invariants(raw in tricky_text()) {
        if let Ok(email) = Email::parse(&raw) {
            let s = email.as_str();
            prop_assert!(s.len() <= Email::MAX_LEN);
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
            let (local, domain) = s.rsplit_once('@').unwrap();
            prop_assert!(!local.is_empty() && !local.contains('@'));
            prop_assert!(domain.contains('.'));
            prop_assert_eq!(Email::parse(s).unwrap(), email.clone());
        }
    }

    /// The password length check accepts exactly: at most `max_bytes` bytes, and at least
    /// `min_chars` characters after NFKC — whatever the content.
    #[test]
    fn password_length_is_checked_exactly(raw in tricky_text(), pad in 0usize..1100) {
        let password = format!("{raw}{}", "x".repeat(pad));
        let policy = auth_core::PasswordPolicy::default();
        let ok = policy.check_length(&Password::new(password.clone())).is_ok();
        let chars = password.nfkc().count();
        prop_assert_eq!(ok, password.len() <= policy.max_bytes() && chars >= policy.min_chars());
    }

    /// The refresh-token decoder accepts exactly the 43-character base64url encodings of
    /// 32 bytes, and nothing it accepts is changed: the digest is SHA-256 of the text.
    #[test]
    fn refresh_tokens_decode_exactly_their_shape(raw in "[A-Za-z0-9_\\-+/=. ]{0,50}") {
        let shaped = raw.len() == 43
            && URL_SAFE_NO_PAD.decode(&raw).is_ok_and(|b| b.len() == 32);
        let parsed = RefreshToken::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), shaped);
        if let Ok(token) = parsed {
            prop_assert_eq!(token.expose(), raw.as_str());
            let digest: [u8; 32] = Sha256::digest(raw.as_bytes()).into();
            let stored = token.digest();
            prop_assert_eq!(stored.as_bytes(), &digest);
        }
    }

    /// Every 32 random bytes encode to a token the decoder accepts.
    #[test]
    fn refresh_tokens_round_trip(bytes in any::<[u8; 32]>()) {
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let token = RefreshToken::parse(&text).unwrap();
        prop_assert_eq!(token.expose(), text.as_str());
    }

    /// Arbitrary text, and arbitrary three-part "JWTs", never verify (and never panic).
    #[test]
    fn garbage_never_verifies(a in "[A-Za-z0-9_\\-]{0,60}", b in "[A-Za-z0-9_\\-]{0,200}", c in "[A-Za-z0-9_\\-]{0,60}", any_text in ".{0,200}") {
        let auth = auth();
        let shaped = format!("{a}.{b}.{c}");
        prop_assert!(auth.verify_access(&shaped).is_err());
        prop_assert!(auth.verify_access(&any_text).is_err());
    }

    /// Changing any one character of a valid access token (to another base64url character
    /// or a dot) makes it fail: header, claims and signature are all covered.
    #[test]
    fn any_edit_of_a_token_is_refused(at in any::<prop::sample::Index>(), with in prop::sample::select(format!("{B64URL}.").chars().collect::<Vec<_>>())) {
        let auth = auth();
        let tokens = AccessTokens::new(config().access_token_config(), Arc::new(SystemClock));
        let (token, _) = tokens.issue(&AccessGrant::new(UserId::new(7), "alice", Role::User)).unwrap();
        let original = token.expose().to_owned();
        prop_assert!(auth.verify_access(&original).is_ok());
        let i = at.index(original.len());
        let mut edited = original.clone().into_bytes();
        prop_assume!(edited[i] != with as u8);
        edited[i] = with as u8;
        let edited = String::from_utf8(edited).unwrap();
        prop_assert!(auth.verify_access(&edited).is_err(), "accepted {edited} (edited at {i})");
    }

    /// The bearer reader returns a non-empty, trimmed token only for the `Bearer` scheme
    /// (any case), and never panics.
    #[test]
    fn bearer_tokens_are_read_only_from_the_bearer_scheme(header in ".{0,80}") {
        if let Some(token) = bearer_token(Some(&header)) {
            prop_assert!(!token.is_empty());
            prop_assert_eq!(token, token.trim());
            prop_assert!(header.trim().to_ascii_lowercase().starts_with("bearer "));
        }
    }

    /// Behind a trusted proxy, the client IP is the peer or an address that appears in
    /// `X-Forwarded-For`; from an untrusted peer, always the peer.
    #[test]
    fn client_ip_comes_from_the_peer_or_the_forwarded_header(
        hops in prop::collection::vec(prop_oneof![any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()), "[0-9a-f:., ]{0,12}"], 0..6),
        trusted_peer in any::<bool>(),
    ) {
        let xff = hops.join(",");
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let peer: IpAddr = if trusted_peer { "10.0.0.1" } else { "203.0.113.9" }.parse().unwrap();
        let ip = proxies.client_ip(peer, Some(&xff));
        if trusted_peer {
            // An element of the header as sent: a generated hop may itself hold commas.
            let listed = xff.split(',').any(|h| h.trim().parse::<IpAddr>() == Ok(ip));
            prop_assert!(ip == peer || listed, "{ip} from {xff:?}");
        } else {
            prop_assert_eq!(ip, peer);
        }
    }

    /// A one-time code is exactly six ASCII digits once spaces are removed: spaces anywhere
    /// and leading zeros are kept apart from the digits; five or seven digits, or any other
    /// character, are refused; nothing panics.
    #[test]
    fn one_time_codes_are_six_digits_with_spaces_anywhere(
        digits in "[0-9]{6}",
        spaces in prop::collection::vec(0usize..4, 7),
    ) {
        let mut spaced = String::new();
        for (i, d) in digits.chars().enumerate() {
            spaced.push_str(&" ".repeat(spaces[i]));
            spaced.push(d);
        }
        spaced.push_str(&" ".repeat(spaces[6]));
        let code = OneTimeCode::parse(&spaced).unwrap();
        prop_assert_eq!(code.expose(), digits.as_str());
    }

    #[test]
    fn one_time_codes_of_other_lengths_are_refused(digits in "[0-9]{0,5}|[0-9]{7,12}") {
        prop_assert!(OneTimeCode::parse(&digits).is_err());
    }

    #[test]
    fn one_time_codes_with_another_character_are_refused(
        digits in "[0-9]{6}",
        at in 0usize..6,
        other in any::<char>().prop_filter("not a digit or a space", |c| !c.is_ascii_digit() && *c != ' '),
    ) {
        // In place of a digit: still six characters, so only the character can refuse it.
        let mut chars: Vec<char> = digits.chars().collect();
        chars[at] = other;
        let text: String = chars.into_iter().collect();
        let refused = OneTimeCode::parse(&text).unwrap_err();
        prop_assert_eq!(refused.code(), "validation_error");
    }

    #[test]
    fn parsing_any_text_as_a_code_never_panics(text in tricky_text()) {
        if let Ok(code) = OneTimeCode::parse(&text) {
            prop_assert!(code.expose().len() == 6 && code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
