//! TOTP enrolment: a re-authenticated start (a fresh secret, its `otpauth://` URI and QR
//! code), then a confirmation with a code from the app that turns the factor on, issues the
//! recovery codes and ends the user's other sessions.

use std::fmt;

use zeroize::Zeroizing;

use super::Auth;
use crate::{
    Amr, AuthError, FamilyId, OneTimeCode, Password, RecoveryCode, RequestContext, Result,
    TotpSecret, User,
    audit::audit,
    mail::{Mail, SecondFactorChange},
    mfa::qr_svg,
};

/// A started enrolment, shown once to the user: the secret in base32 (to type in), the
/// `otpauth://` URI (what the QR code holds) and the QR code as SVG. Wiped when dropped;
/// `Debug` shows none of it.
pub struct TotpEnrolment {
    secret: Zeroizing<String>,
    otpauth_uri: Zeroizing<String>,
    qr_svg: Zeroizing<String>,
}

impl TotpEnrolment {
    /// The secret in unpadded base32 (RFC 4648), as authenticator apps take it typed.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The `otpauth://totp/…` URI with issuer and account (SHA-1, 6 digits, 30 s).
    pub fn otpauth_uri(&self) -> &str {
        &self.otpauth_uri
    }

    /// The URI as a QR code, an SVG document.
    pub fn qr_svg(&self) -> &str {
        &self.qr_svg
    }
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolment([redacted])")
    }
}

impl Auth {
    /// Starts a TOTP enrolment for a signed-in user (`POST /auth/mfa/totp`): checks the
    /// current password (counted in the login backoff), makes a 160-bit secret from the OS
    /// RNG and stores it sealed, pending until [confirmed](Self::confirm_totp_enrolment). A
    /// new start replaces a pending one.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`]; [`AuthError::RateLimited`]; [`AuthError::Conflict`]
    /// when a second factor is on already; [`AuthError::MfaUnavailable`] without
    /// [MFA settings](crate::AuthBuilder::mfa); [`AuthError::InvalidToken`] when the user is
    /// gone or inactive; [`AuthError::Store`].
    pub async fn begin_totp_enrolment(
        &self,
        user: &User,
        current_password: &Password,
        ctx: &RequestContext,
    ) -> Result<TotpEnrolment> {
        let settings = self.mfa_settings()?;
        let record = self.active_record(user).await?;
        self.reauthenticate(&record, current_password, ctx).await?;
        if record.mfa_enabled {
            return Err(AuthError::Conflict("A second factor is on already: disable it first"));
        }
        let secret = TotpSecret::generate();
        // The URI and its QR code first, so that nothing is stored for a name an app's
        // label cannot hold (a colon, in a name registered before today's rules).
        let unusable =
            |_| AuthError::Conflict("This username cannot be put in an authenticator app");
        let otpauth_uri =
            secret.otpauth_uri(settings.issuer(), record.username.as_str()).map_err(unusable)?;
        let qr = qr_svg(&otpauth_uri).map_err(unusable)?;
        let sealed = settings.keys().seal(record.id, &secret)?;
        if !self.inner.store.begin_totp_enrolment(record.id, sealed, self.now()).await? {
            return Err(AuthError::Conflict("A second factor is on already: disable it first"));
        }
        audit!(info, "totp_enrolment_started", ctx, user_id = record.id.get());
        Ok(TotpEnrolment { secret: secret.base32(), otpauth_uri, qr_svg: qr })
    }

    /// Confirms a pending enrolment with a code from the app (`POST /auth/mfa/totp/confirm`):
    /// the factor is on, the code's time step is spent, and the ten recovery codes returned
    /// here (shown once; stored as digests) replace any earlier set. Every other session of
    /// the user ends; `session`, the caller's (the `sid` of their access token), stays and
    /// counts as signed in with both factors from now on.
    ///
    /// # Errors
    /// [`AuthError::Validation`] (`code`) for something that is not six digits;
    /// [`AuthError::WrongCode`] for a wrong code (counted in the account's tally of wrong
    /// codes);
    /// [`AuthError::Conflict`] when no enrolment is pending; [`AuthError::MfaUnavailable`];
    /// [`AuthError::RateLimited`]; [`AuthError::InvalidToken`] when the user is gone or
    /// inactive; [`AuthError::Store`].
    pub async fn confirm_totp_enrolment(
        &self,
        user: &User,
        session: Option<FamilyId>,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<Vec<RecoveryCode>> {
        let settings = self.mfa_settings()?;
        let code = OneTimeCode::parse(code)?;
        let record = self.active_record(user).await?;
        let pending = self.inner.store.totp(record.id).await?;
        let Some(pending) = pending.filter(|t| t.confirmed_at.is_none()) else {
            return Err(AuthError::Conflict("No enrolment is pending: start one first"));
        };
        let secret = self.open_secret(settings, &record, &pending.secret)?;
        let attempt = self.begin_code_attempt(&record, ctx).await?;
        let Some(step) = secret.matching_step(&code, self.now()) else {
            audit!(info, "totp_confirmation_failed", ctx, user_id = record.id.get());
            return Err(AuthError::WrongCode);
        };
        let codes = RecoveryCode::generate_set();
        let digests: Vec<_> = codes.iter().map(RecoveryCode::digest).collect();
        let store = &self.inner.store;
        match store.confirm_totp(record.id, &pending.secret, step, &digests, self.now()).await {
            Ok(true) => {}
            // Another confirmation, a new start or a removal won the race.
            Ok(false) => {
                self.inner.throttle.withdrawn(attempt).await;
                return Err(AuthError::Conflict("No enrolment is pending: start one first"));
            }
            Err(e) => {
                self.inner.throttle.withdrawn(attempt).await;
                return Err(e.into());
            }
        }
        // The factor is on and the codes exist only here: what follows must not lose them
        // to an error, so each step is logged when it fails and the codes are returned.
        // (Sessions it fails to end cannot refresh: they never proved a second factor.)
        self.inner.users.forget(record.id);
        if let Err(e) = self.inner.throttle.succeeded(attempt).await {
            tracing::warn!(target: "auth::mfa", user_id = record.id.get(), error = %e, "could not clear the code tally after enabling TOTP");
        }
        if let Some(sid) = session {
            if let Err(e) = store.set_session_amr(record.id, sid, &[Amr::Pwd, Amr::Otp]).await {
                tracing::error!(target: "auth::mfa", user_id = record.id.get(), error = %e, "after enabling TOTP, the enrolling session could not be marked (it will have to sign in again)");
            }
        }
        let ended = match self.end_other_sessions(&record, session).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(target: "auth::mfa", user_id = record.id.get(), error = %e, "after enabling TOTP, the other sessions could not all be ended (they cannot refresh)");
                0
            }
        };
        audit!(info, "totp_enabled", ctx, user_id = record.id.get(), sessions_ended = ended);
        self.notify(
            "second_factor_enabled",
            &record,
            &Mail::SecondFactorChanged {
                username: record.username.as_str(),
                change: SecondFactorChange::Enabled,
            },
        );
        Ok(codes)
    }
}
