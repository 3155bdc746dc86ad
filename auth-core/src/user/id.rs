use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A user's identifier, assigned by the store.
///
/// Serialized as a JSON number; in the JWT `sub` claim it is written as a string (see
/// [`AccessClaims`](crate::AccessClaims)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(i64);

impl UserId {
    /// Wraps a raw id as stores hand it out.
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The raw id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = std::num::ParseIntError;

    /// Parses the decimal form used in the `sub` claim (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with(['+', '-']) {
            // `i64::from_str` accepts a sign; ids never carry one.
            return "x".parse::<i64>().map(Self);
        }
        s.parse().map(Self)
    }
}
