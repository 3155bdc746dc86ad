//! `generate-key`: a new signing key pair for key rotation. The private half (PKCS#8 PEM,
//! mode 0600) is for `JWT_PRIVATE_KEY_FILE`, the public half (SPKI PEM, `<file>.pub`) for
//! `JWT_VERIFY_ONLY_KEY_FILES` on every instance and for the services that verify tokens.

use std::{
    fs::OpenOptions,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use auth_core::SigningKey;
use aws_lc_rs::{
    encoding::{AsDer, PublicKeyX509Der},
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair},
};
use zeroize::Zeroizing;

use crate::{app::StartupError, config::JwtAlgorithm};

/// What `generate-key` wrote.
#[derive(Debug)]
pub struct GeneratedKey {
    /// The private key file.
    pub private: PathBuf,
    /// The public key file.
    pub public: PathBuf,
    /// The key id tokens signed with it carry (`kid`).
    pub kid: String,
}

/// Generates a key of `alg` (EdDSA or ES256) from the operating system's RNG and writes it
/// to `private` (created, never overwritten, mode 0600) and its public half to
/// `<private>.pub`.
///
/// # Errors
/// [`StartupError`] for another algorithm (HS256 is a shared secret; RS256 keys are slow to
/// make: use `openssl genpkey` for them), a file that exists or cannot be written.
pub fn generate(alg: JwtAlgorithm, private: &Path) -> Result<GeneratedKey, StartupError> {
    let failed = |what: &str| StartupError::Other(format!("generate-key: {what}"));
    let rng = SystemRandom::new();
    let (pkcs8, spki) = match alg {
        JwtAlgorithm::EdDsa => {
            let doc = Ed25519KeyPair::generate_pkcs8v1(&rng).map_err(|_| failed("RNG failed"))?;
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|_| failed("bad key"))?;
            let spki: PublicKeyX509Der<'static> =
                pair.public_key().as_der().map_err(|_| failed("bad public key"))?;
            (Zeroizing::new(doc.as_ref().to_vec()), spki.as_ref().to_vec())
        }
        JwtAlgorithm::Es256 => {
            let p256 = &ECDSA_P256_SHA256_FIXED_SIGNING;
            let doc = EcdsaKeyPair::generate_pkcs8(p256, &rng).map_err(|_| failed("RNG failed"))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(p256, doc.as_ref()).map_err(|_| failed("bad key"))?;
            let spki: PublicKeyX509Der<'static> =
                pair.public_key().as_der().map_err(|_| failed("bad public key"))?;
            (Zeroizing::new(doc.as_ref().to_vec()), spki.as_ref().to_vec())
        }
        other => {
            return Err(failed(&format!(
                "{} keys are not generated here: use EdDSA or ES256",
                other.name()
            )));
        }
    };
    let private_pem = Zeroizing::new(pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.to_vec())));
    let public_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki));
    // What the service will read back: the same parsers, the same key id.
    let key = match alg {
        JwtAlgorithm::EdDsa => SigningKey::eddsa_pem(private_pem.as_bytes()),
        _ => SigningKey::es256_pem(private_pem.as_bytes()),
    }?;
    let mut public = private.as_os_str().to_owned();
    public.push(".pub");
    let public = PathBuf::from(public);
    if public.exists() {
        return Err(failed(&format!("{} exists: it is never overwritten", public.display())));
    }
    write_new(private, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public, public_pem.as_bytes(), 0o644) {
        // No private key without its public half.
        let _ = std::fs::remove_file(private);
        return Err(e);
    }
    Ok(GeneratedKey { private: private.to_owned(), public, kid: key.kid().to_owned() })
}

/// Creates `path` with `mode` and writes `bytes`; refuses a file that exists.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StartupError> {
    let fail = |e: std::io::Error| StartupError::Other(format!("{}: {e}", path.display()));
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use auth_core::{KeySet, VerifyingKey};

    use super::*;

    #[test]
    fn generated_keys_load_as_the_service_reads_them_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        for (alg, name) in [(JwtAlgorithm::EdDsa, "ed.pem"), (JwtAlgorithm::Es256, "es.pem")] {
            let path = dir.path().join(name);
            let made = generate(alg, &path).unwrap();
            let mode = std::fs::metadata(&made.private).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let pem = std::fs::read(&made.private).unwrap();
            let key = match alg {
                JwtAlgorithm::EdDsa => SigningKey::eddsa_pem(&pem),
                _ => SigningKey::es256_pem(&pem),
            }
            .unwrap();
            assert_eq!(key.kid(), made.kid);
            let public = std::fs::read(&made.public).unwrap();
            let verifying = match alg {
                JwtAlgorithm::EdDsa => VerifyingKey::eddsa_public_pem(&public),
                _ => VerifyingKey::es256_public_pem(&public),
            }
            .unwrap();
            assert_eq!(verifying.kid(), made.kid, "the public half is the same key");
            // The same kid twice in one set is refused: the halves match.
            assert!(KeySet::new(key).with_previous(verifying).is_err());
            assert!(generate(alg, &path).is_err(), "an existing file is never overwritten");
        }
        let two = (
            generate(JwtAlgorithm::Es256, &dir.path().join("a")).unwrap(),
            generate(JwtAlgorithm::Es256, &dir.path().join("b")).unwrap(),
        );
        assert_ne!(two.0.kid, two.1.kid);
        assert!(generate(JwtAlgorithm::Hs256, &dir.path().join("h")).is_err());
        // A public half in the way: nothing is written.
        std::fs::write(dir.path().join("c.pub"), "x").unwrap();
        assert!(generate(JwtAlgorithm::Es256, &dir.path().join("c")).is_err());
        assert!(!dir.path().join("c").exists());
    }
}
