//! Second factors: TOTP codes and secrets (RFC 6238), their encryption at rest, the codes'
//! shape, and recovery codes.

/// The longest text a code parser looks at: anything longer is refused as it is, before a
/// copy is made.
const MAX_TYPED_LEN: usize = 64;

mod cipher;
mod code;
mod recovery;
mod settings;
mod totp;

pub use cipher::{MfaKey, MfaKeyRing, SealedSecret};
pub use code::{OneTimeCode, SecondFactorCode};
pub use recovery::RecoveryCode;
pub use settings::MfaSettings;
pub use totp::{TOTP_STEP_SECONDS, TotpSecret, qr_svg};
