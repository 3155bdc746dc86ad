use std::fmt;

use serde::{Serialize, Serializer, ser::SerializeStruct};

use super::{AccessToken, RefreshToken};

/// What login and refresh return: `{"access_token", "token_type": "bearer", "expires_in",
/// "refresh_token"}` when serialized. `Debug` hides both tokens.
#[derive(Clone)]
pub struct TokenPair {
    /// The JWT access token.
    pub access_token: AccessToken,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The opaque refresh token.
    pub refresh_token: RefreshToken,
}

impl Serialize for TokenPair {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TokenPair", 4)?;
        st.serialize_field("access_token", self.access_token.expose())?;
        st.serialize_field("token_type", "bearer")?;
        st.serialize_field("expires_in", &self.expires_in)?;
        st.serialize_field("refresh_token", self.refresh_token.expose())?;
        st.end()
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}
