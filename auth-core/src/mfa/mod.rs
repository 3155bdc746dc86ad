//! Second factors: TOTP codes and secrets (RFC 6238), their encryption at rest, the codes'
//! shape, and recovery codes.

mod cipher;
mod code;
mod recovery;
mod totp;

pub use cipher::{MfaKey, MfaKeyRing, SealedSecret};
pub use code::OneTimeCode;
pub use recovery::RecoveryCode;
pub use totp::{TOTP_STEP_SECONDS, TotpSecret, qr_svg};
