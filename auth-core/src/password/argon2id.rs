//! Argon2id and its PHC strings: hashing with the configured parameters (built once, with
//! the pepper's key id), verifying a stored hash within the [`VerifyLimits`], and telling
//! whether a hash should be replaced. Runs on the calling thread; the
//! [`PasswordHasher`](super::PasswordHasher) puts it on the blocking pool.

use argon2::{Algorithm, Argon2, Version};
use password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{
    Argon2Params, HashingConfig, HashingError, Password, PasswordPolicy, Pepper, StoredHash,
    Verification, VerifyLimits, argon2_memory::BlockPool,
};

/// The hashing side of a [`HashingConfig`], ready to run.
pub(super) struct Argon2id {
    /// The parameters of new hashes, the pepper's key id included.
    params: argon2::Params,
    pepper: Option<Pepper>,
    limits: VerifyLimits,
    memory: BlockPool,
    /// A hash of nothing, with the current parameters: unknown usernames verify against it
    /// so that they cost as much as known ones.
    dummy: StoredHash,
}

impl Argon2id {
    /// Builds the parameters once. They were validated by their builders (bounds within
    /// Argon2's own, a pepper id of at most 8 bytes), so building cannot fail.
    pub(super) fn new(config: &HashingConfig) -> Self {
        let p = config.params;
        let mut b = argon2::ParamsBuilder::new();
        b.m_cost(p.m_cost_kib())
            .t_cost(p.t_cost())
            .p_cost(p.p_cost())
            .output_len(Argon2Params::OUTPUT_LEN);
        if let Some(pepper) = &config.pepper {
            b.keyid(argon2::KeyId::new(&pepper.id).expect("pepper id length validated"));
        }
        let params = b.build().expect("Argon2 parameters validated by their builder");
        let memory = BlockPool::new(params.block_count(), config.max_concurrent);
        let mut salt = [0u8; Argon2Params::SALT_LEN];
        let mut out = [0u8; Argon2Params::OUTPUT_LEN];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut out);
        let dummy = StoredHash::new(phc_string(&params, &salt, &out).expect("valid PHC parts"));
        Self { params, pepper: config.pepper.clone(), limits: config.verify_limits, memory, dummy }
    }

    /// A new hash of `password` (normalized with NFKC) with a fresh random salt.
    pub(super) fn hash(&self, password: &Password) -> Result<StoredHash, HashingError> {
        let argon = self.argon2(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
            self.pepper.as_ref(),
        )?;
        let normalized = PasswordPolicy::normalize(password);
        let mut salt = [0u8; Argon2Params::SALT_LEN];
        rand::rng().fill_bytes(&mut salt);
        let mut out = Zeroizing::new([0u8; Argon2Params::OUTPUT_LEN]);
        self.memory
            .with_blocks(self.params.block_count(), |blocks| {
                argon.hash_password_into_with_memory(
                    normalized.as_bytes(),
                    &salt,
                    &mut *out,
                    blocks,
                )
            })
            .map_err(failed)?;
        Ok(StoredHash::new(phc_string(&self.params, &salt, &*out)?))
    }

    /// Verifies against the dummy hash: one real verification that never matches.
    pub(super) fn verify_dummy(&self, password: &Password) -> Result<(), HashingError> {
        self.verify(password, &self.dummy).map(|_| ())
    }

    /// Verifies `password` against a stored hash: Argon2 (any variant and version), or
    /// bcrypt with the `bcrypt` feature. A hash whose parameters exceed the verify limits is
    /// refused before any memory is allocated.
    pub(super) fn verify(
        &self,
        password: &Password,
        stored: &StoredHash,
    ) -> Result<Verification, HashingError> {
        let stored = stored.as_str();
        #[cfg(feature = "bcrypt")]
        if super::legacy::is_bcrypt(stored) {
            let matches =
                super::legacy::verify(password.expose().as_bytes(), stored, &self.limits)?;
            return Ok(Verification { matches, needs_rehash: true });
        }
        let hash = PasswordHash::new(stored).map_err(|_| malformed("not a PHC string"))?;
        let algorithm = Algorithm::try_from(hash.algorithm.as_str())
            .map_err(|_| malformed("unknown algorithm"))?;
        let version = match hash.version {
            Some(v) => Version::try_from(v).map_err(|_| malformed("unknown version"))?,
            None => Version::V0x10,
        };
        let params = argon2::Params::try_from(&hash).map_err(|_| malformed("bad parameters"))?;
        if params.m_cost() > self.limits.max_m_cost_kib
            || params.t_cost() > self.limits.max_t_cost
            || params.p_cost() > self.limits.max_p_cost
        {
            return Err(malformed("parameters exceed the verify limits"));
        }
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Err(malformed("missing salt or hash"));
        };
        if !(16..=64).contains(&expected.len()) {
            return Err(malformed("hash length out of bounds"));
        }
        let pepper = match params.keyid() {
            [] => None,
            id => match &self.pepper {
                Some(p) if p.id.as_slice() == id => Some(p),
                _ => return Err(malformed("hash was made with an unknown pepper")),
            },
        };
        let blocks = params.block_count();
        let argon = self.argon2(algorithm, version, params, pepper)?;
        let normalized = PasswordPolicy::normalize(password);
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        self.memory
            .with_blocks(blocks, |memory| {
                argon.hash_password_into_with_memory(
                    normalized.as_bytes(),
                    salt.as_ref(),
                    &mut out,
                    memory,
                )
            })
            .map_err(failed)?;
        let matches = bool::from(out.as_slice().ct_eq(expected.as_bytes()));
        Ok(Verification { matches, needs_rehash: self.needs_rehash(stored) })
    }

    /// Whether a stored hash was made otherwise than new hashes are now: another
    /// algorithm, version, cost, output or salt length, or pepper.
    pub(super) fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = argon2::Params::try_from(&hash) else {
            return true;
        };
        let want = &self.params;
        hash.algorithm.as_str() != "argon2id"
            || hash.version != Some(Version::V0x13.into())
            || params.m_cost() != want.m_cost()
            || params.t_cost() != want.t_cost()
            || params.p_cost() != want.p_cost()
            || params.output_len() != Some(Argon2Params::OUTPUT_LEN)
            || hash.salt.is_none_or(|s| s.len() < Argon2Params::SALT_LEN)
            || params.keyid() != want.keyid()
    }

    fn argon2<'a>(
        &'a self,
        algorithm: Algorithm,
        version: Version,
        params: argon2::Params,
        pepper: Option<&'a Pepper>,
    ) -> Result<Argon2<'a>, HashingError> {
        match pepper {
            Some(p) => {
                Argon2::new_with_secret(&p.secret, algorithm, version, params).map_err(failed)
            }
            None => Ok(Argon2::new(algorithm, version, params)),
        }
    }

    /// How many working-memory buffers are pooled now.
    #[cfg(test)]
    pub(super) fn pooled(&self) -> usize {
        self.memory.pooled()
    }

    #[cfg(test)]
    pub(super) fn dummy(&self) -> &StoredHash {
        &self.dummy
    }
}

fn phc_string(params: &argon2::Params, salt: &[u8], out: &[u8]) -> Result<String, HashingError> {
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(Salt::new(salt).map_err(failed)?),
        hash: Some(Output::new(out).map_err(failed)?),
    };
    Ok(hash.to_string())
}

fn failed(e: impl std::fmt::Display) -> HashingError {
    HashingError::Failed(e.to_string().into())
}

fn malformed(what: &'static str) -> HashingError {
    HashingError::MalformedHash(what)
}
