//! Verification of legacy bcrypt hashes (`$2a$`, `$2b$`, `$2y$`), as written by passlib and
//! Flask-Bcrypt, so users imported from the Python services can log in; the hasher upgrades
//! them to Argon2id on their next successful login.

use super::{HashingError, VerifyLimits};

/// Whether `stored` looks like a bcrypt hash.
pub(crate) fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| stored.starts_with(p))
}

/// Verifies `password` (the raw bytes, as passlib hashed them) against a bcrypt hash whose
/// cost is within `limits`.
pub(crate) fn verify(
    password: &[u8],
    stored: &str,
    limits: &VerifyLimits,
) -> Result<bool, HashingError> {
    let cost: u32 = stored
        .get(4..6)
        .filter(|_| stored.as_bytes().get(6) == Some(&b'$'))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| malformed("bcrypt cost is malformed"))?;
    if !(4..=limits.max_bcrypt_cost).contains(&cost) {
        return Err(malformed("bcrypt cost is out of bounds"));
    }
    bcrypt::verify(password, stored).map_err(|_| malformed("bcrypt hash is malformed"))
}

fn malformed(what: &'static str) -> HashingError {
    HashingError::MalformedHash(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with passlib 1.7.4 (bcrypt 4.0.1): `bcrypt.using(rounds=4).hash("legacy-secret-1")`.
    const PASSLIB_2B: &str = "$2b$04$bTXy8OttXSQntrw9t3lbAeAR2uVxk4O5RmjO.bY85OocvY4lR4lZK";
    // Made with Flask-Bcrypt 1.0.1: `generate_password_hash("legacy-secret-1", rounds=4)`.
    const FLASK_2B: &str = "$2b$04$5u.Bv.PAqiz/gNDFttFt3eozJ4JC34/CZKWp8y/wjU/3fbIrYxAWS";

    #[test]
    fn verifies_each_prefix() {
        let hash = bcrypt::hash("legacy-secret-1", 4).unwrap();
        let limits = VerifyLimits::default();
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let h = format!("{prefix}{}", &hash[4..]);
            assert!(is_bcrypt(&h));
            assert!(verify(b"legacy-secret-1", &h, &limits).unwrap());
            assert!(!verify(b"legacy-secret-2", &h, &limits).unwrap());
        }
    }

    #[test]
    fn verifies_passlib_and_flask_bcrypt_hashes() {
        let limits = VerifyLimits::default();
        assert!(verify(b"legacy-secret-1", PASSLIB_2B, &limits).unwrap());
        assert!(verify(b"legacy-secret-1", FLASK_2B, &limits).unwrap());
        assert!(!verify(b"legacy-secret-2", FLASK_2B, &limits).unwrap());
    }

    #[test]
    fn hostile_cost_is_refused_without_hashing() {
        let hash = bcrypt::hash("x", 4).unwrap();
        let hostile = format!("$2b$31{}", &hash[6..]);
        assert!(verify(b"x", &hostile, &VerifyLimits::default()).is_err());
        assert!(verify(b"x", "$2b$xx$abc", &VerifyLimits::default()).is_err());
        assert!(verify(b"x", "$2b$04$tooshort", &VerifyLimits::default()).is_err());
    }
}
