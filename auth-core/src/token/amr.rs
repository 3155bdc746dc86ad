//! [`Amr`]: how a session's user authenticated (RFC 8176 method names), carried by access
//! tokens as `amr` beside `auth_time`, and kept by the session (its refresh tokens), so that
//! a refresh says what the login said.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An authentication method reference (RFC 8176).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Amr {
    /// A password.
    Pwd,
    /// A one-time password (a TOTP code, or a recovery code).
    Otp,
    /// A proof of possession of a hardware-protected key (a passkey on a security key).
    Hwk,
    /// A proof of possession of a software-protected key (a synced passkey).
    Swk,
}

impl Amr {
    /// The RFC 8176 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Otp => "otp",
            Self::Hwk => "hwk",
            Self::Swk => "swk",
        }
    }

    /// Whether this method is a second factor (anything but the password).
    pub fn is_second_factor(self) -> bool {
        self != Self::Pwd
    }

    /// A list as stores keep it: names separated by spaces (`"pwd otp"`).
    pub fn join(methods: &[Amr]) -> String {
        methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The list a store kept; `None` for a name that is not a method.
    pub fn split(stored: &str) -> Option<Vec<Amr>> {
        stored
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|name| match name {
                "pwd" => Some(Self::Pwd),
                "otp" => Some(Self::Otp),
                "hwk" => Some(Self::Hwk),
                "swk" => Some(Self::Swk),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_as_stored_and_as_json() {
        let all = [Amr::Pwd, Amr::Otp, Amr::Hwk, Amr::Swk];
        assert_eq!(Amr::join(&all), "pwd otp hwk swk");
        assert_eq!(Amr::split("pwd otp hwk swk").unwrap(), all);
        assert_eq!(Amr::split("").unwrap(), []);
        assert_eq!(Amr::split("pwd face"), None);
        assert_eq!(serde_json::to_string(&all).unwrap(), r#"["pwd","otp","hwk","swk"]"#);
        assert!(!Amr::Pwd.is_second_factor() && Amr::Otp.is_second_factor());
    }
}
