//! The two-step login: a correct password of an account with a second factor earns an MFA
//! token instead of a session (`403 mfa_required`), and the token with a code finishes the
//! login (`POST /auth/mfa/verify`).

use super::{Auth, SignedIn, second_factor::Proven};
use crate::{
    Amr, AuthError, LoginOrigin, MfaChallenge, MfaMethod, MfaToken, MfaTokenRecord, RequestContext,
    Result, SecondFactorCode, TokenRejection, UserRecord, audit::audit, throttle::Bucket,
};

/// A login finished with its second factor: the session, and how the login began (so that
/// the answer takes the first step's shape: a token pair, the OAuth token response, or
/// session cookies).
#[derive(Debug, Clone)]
pub struct SecondStep {
    /// The user and the first token pair of their new session, whose access tokens carry
    /// `amr` `["pwd", "otp"]`.
    pub signed_in: SignedIn,
    /// Where the login began.
    pub origin: LoginOrigin,
}

impl Auth {
    /// Finishes a login that answered [`AuthError::MfaRequired`]: `mfa_token` is the
    /// challenge's token, `code` a TOTP code or a recovery code of the account.
    ///
    /// The token is single use, lives [5 minutes](MfaToken::LIFETIME) and dies after
    /// [5 codes](MfaToken::MAX_ATTEMPTS) (each attempt counted before its code is checked);
    /// a TOTP time step is accepted once per account, a recovery code once. Every attempt
    /// takes from the per-IP login bucket, and a wrong code counts in the account's tally
    /// of wrong codes, whatever the client's address, which only a right code clears: past
    /// the account's failure limit a backoff (the owner is mailed), past 100 in a row no
    /// code at all until a day without attempts or an administrator's reset of the factor
    /// (the owner is mailed again). An attacker who has the password can thereby slow or
    /// stop the owner's second step; the owner's remedy is a password reset (which stops
    /// the attacker) and an administrator. A spent recovery code sends the "N codes
    /// left" notice.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for a malformed, unknown, spent, expired or exhausted
    /// MFA token, or one whose user is gone, inactive or no longer has a second factor;
    /// [`AuthError::InvalidCode`] for a wrong or spent code; [`AuthError::Validation`]
    /// (`code`) for something that is no code; [`AuthError::RateLimited`];
    /// [`AuthError::MfaUnavailable`]; [`AuthError::Store`].
    pub async fn verify_second_factor(
        &self,
        mfa_token: &str,
        code: &SecondFactorCode,
        ctx: &RequestContext,
    ) -> Result<SecondStep> {
        let now = self.now();
        self.inner.throttle.take(Bucket::Login, ctx.ip(), now).await?;
        let token = MfaToken::parse(mfa_token).map_err(AuthError::InvalidToken)?;
        let store = &self.inner.store;
        let dead = || AuthError::InvalidToken(TokenRejection::MfaTokenDead);
        let Some(record) = store.attempt_mfa_token(&token.digest(), now).await? else {
            audit!(info, "mfa_verify_failed", ctx, reason = "dead token");
            return Err(dead());
        };
        let user = store.user_by_id(record.user_id).await?;
        // A password change, reset or "sign out everywhere" since the password was checked
        // ends the login half-way through too.
        let revoked = |u: &UserRecord| u.tokens_valid_after.is_some_and(|s| record.created_at < s);
        let Some(user) = user.filter(|u| u.is_active && u.mfa_enabled && !revoked(u)) else {
            audit!(
                info,
                "mfa_verify_failed",
                ctx,
                reason = "user changed",
                user_id = record.user_id.get()
            );
            return Err(AuthError::InvalidToken(TokenRejection::UserInactive));
        };
        // The address may have gone since the first step: refused before a code is spent.
        if !user.email_verified && self.needs_verified_email(&user.role) {
            return Err(AuthError::EmailNotVerified);
        }
        let proven = match self.check_second_factor(&user, code, ctx).await? {
            Some(proven) => proven,
            None => return Err(AuthError::InvalidCode),
        };
        // Of concurrent right codes for one token, one spends it.
        if store.spend_mfa_token(&token.digest(), self.now()).await?.is_none() {
            return Err(dead());
        }
        if let Proven::RecoveryCode { left } = proven {
            self.tell_codes_left(&user, left, ctx);
        }
        let (user, tokens, sid) = self.start_session(&user, &[Amr::Pwd, Amr::Otp], ctx).await?;
        audit!(info, "login_succeeded", ctx, user_id = user.id.get(), second_factor = true);
        self.notify_if_new_client(&user, sid, ctx).await;
        Ok(SecondStep { signed_in: SignedIn { user: user.into(), tokens }, origin: record.origin })
    }

    /// The answer to a correct password of `user`, whose second factor is on: a fresh MFA
    /// token, stored by digest, bound to the user and to `origin`, dated `now` (when the
    /// login began, before its password was checked).
    pub(super) async fn mfa_challenge(
        &self,
        user: &UserRecord,
        origin: LoginOrigin,
        now: time::OffsetDateTime,
        ctx: &RequestContext,
    ) -> AuthError {
        let token = MfaToken::generate();
        let record = MfaTokenRecord {
            digest: token.digest(),
            user_id: user.id,
            origin,
            created_at: now,
            expires_at: now + MfaToken::LIFETIME,
            attempts: 0,
        };
        if let Err(e) = self.inner.store.issue_mfa_token(record).await {
            return e.into();
        }
        audit!(info, "mfa_required", ctx, user_id = user.id.get(), origin = origin.as_str());
        let methods = vec![MfaMethod::Totp, MfaMethod::RecoveryCode];
        AuthError::MfaRequired(Box::new(MfaChallenge { token, methods }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{service::test_support::*, throttle::Throttle, *};

    const STEP: Duration = Duration::from_secs(30);

    /// Alice, enrolled: her secret, her recovery codes, and the session she enrolled from.
    struct Enrolled {
        user: User,
        secret: TotpSecret,
        codes: Vec<RecoveryCode>,
        session: SignedIn,
    }

    async fn enrolled(f: &Fixture) -> Enrolled {
        let user = f.user("alice").await;
        let session = f.login("alice").await;
        let pw = Password::new(PASSWORD);
        let started = f.auth.begin_totp_enrolment(&user, &pw, &f.ctx).await.unwrap();
        assert!(started.otpauth_uri().starts_with("otpauth://totp/Fixture:alice?secret="));
        assert!(started.qr_svg().contains("<svg"));
        assert_eq!(format!("{started:?}"), "TotpEnrolment([redacted])");
        let secret = TotpSecret::from_base32(started.secret()).unwrap();
        let sid = f.auth.verify_access(session.tokens.access_token.expose()).unwrap().sid;
        let code = secret.code_at(f.clock.now());
        let codes = f.auth.confirm_totp_enrolment(&user, sid, &code, &f.ctx).await.unwrap();
        assert_eq!(codes.len(), 10);
        // Each code is used once; move on to the next step.
        f.clock.advance(STEP);
        Enrolled { user, secret, codes, session }
    }

    /// The MFA token of a login with the right password.
    async fn challenge(f: &Fixture) -> String {
        match f.auth.login("alice", &Password::new(PASSWORD), &f.ctx).await {
            Err(AuthError::MfaRequired(c)) => {
                assert_eq!(c.methods, [MfaMethod::Totp, MfaMethod::RecoveryCode]);
                c.token.expose().to_owned()
            }
            other => panic!("expected mfa_required, got {other:?}"),
        }
    }

    fn no_backoff() -> Fixture {
        fixture_with(
            throttle::RateLimits { login_failures_per_account: 0, ..Default::default() },
            std::sync::Arc::new(throttle::MemoryThrottle::new()),
        )
    }

    fn totp(code: &str) -> SecondFactorCode {
        SecondFactorCode::parse(code).unwrap()
    }

    #[tokio::test]
    async fn the_whole_flow_enrol_then_sign_in_with_a_code() {
        let f = fixture();
        let a = enrolled(&f).await;
        assert!(f.store.user_by_id(a.user.id).await.unwrap().unwrap().mfa_enabled);
        // The password alone issues nothing, on every route that takes one.
        let token = challenge(&f).await;
        let code = a.secret.code_at(f.clock.now());
        let step = f.auth.verify_second_factor(&token, &totp(&code), &f.ctx).await.unwrap();
        assert_eq!(step.origin, LoginOrigin::Login);
        let claims = f.auth.verify_access(step.signed_in.tokens.access_token.expose()).unwrap();
        assert_eq!(claims.amr, [Amr::Pwd, Amr::Otp]);
        assert!(claims.auth_time.is_some());
        // The token is single use, and the code's step is spent for every later login.
        let again = f.auth.verify_second_factor(&token, &totp(&code), &f.ctx).await;
        assert!(matches!(again, Err(AuthError::InvalidToken(_))), "{again:?}");
        let replay = f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await;
        assert!(matches!(replay, Err(AuthError::InvalidCode)), "{replay:?}");
        // The session rotates with its methods.
        let rotated = f.auth.refresh(step.signed_in.tokens.refresh_token.expose(), &f.ctx).await;
        let claims = f.auth.verify_access(rotated.unwrap().access_token.expose()).unwrap();
        assert_eq!(claims.amr, [Amr::Pwd, Amr::Otp]);
    }

    #[tokio::test]
    async fn codes_one_step_off_pass_and_two_steps_off_fail() {
        // (Without the account backoff, which the two refusals would start.)
        let f = no_backoff();
        let a = enrolled(&f).await;
        for (offset, ok) in [(-60i64, false), (60, false), (-30, true), (30, true)] {
            f.clock.advance(STEP * 3);
            let at = f.clock.now() + time::Duration::seconds(offset);
            let code = a.secret.code_at(at);
            let r = f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await;
            assert_eq!(r.is_ok(), ok, "offset {offset}: {r:?}");
        }
    }

    #[tokio::test]
    async fn another_accounts_secret_does_not_sign_in() {
        let f = fixture();
        let a = enrolled(&f).await;
        let other = TotpSecret::generate();
        let code = other.code_at(f.clock.now());
        assert_ne!(code, a.secret.code_at(f.clock.now()), "a 1 in a million coincidence");
        let r = f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidCode)), "{r:?}");
    }

    #[tokio::test]
    async fn an_mfa_token_dies_after_five_wrong_codes_or_five_minutes() {
        let f = no_backoff();
        let a = enrolled(&f).await;
        let token = challenge(&f).await;
        let wrong =
            if a.secret.code_at(f.clock.now()).as_str() == "000000" { "111111" } else { "000000" };
        for _ in 0..MfaToken::MAX_ATTEMPTS {
            let r = f.auth.verify_second_factor(&token, &totp(wrong), &f.ctx).await;
            assert!(matches!(r, Err(AuthError::InvalidCode)), "{r:?}");
        }
        let right = a.secret.code_at(f.clock.now());
        let sixth = f.auth.verify_second_factor(&token, &totp(&right), &f.ctx).await;
        assert!(matches!(sixth, Err(AuthError::InvalidToken(_))), "{sixth:?}");
        let late = challenge(&f).await;
        f.clock.advance(MfaToken::LIFETIME + Duration::from_secs(1));
        let right = a.secret.code_at(f.clock.now());
        let r = f.auth.verify_second_factor(&late, &totp(&right), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidToken(_))), "{r:?}");
    }

    #[tokio::test]
    async fn wrong_codes_count_in_the_accounts_backoff() {
        let f = fixture();
        let a = enrolled(&f).await;
        let wrong =
            if a.secret.code_at(f.clock.now()).as_str() == "000000" { "111111" } else { "000000" };
        let limit = throttle::RateLimits::default().login_failures_per_account;
        let mut refused = false;
        for _ in 0..=limit + 1 {
            let token = challenge(&f).await;
            match f.auth.verify_second_factor(&token, &totp(wrong), &f.ctx).await {
                Err(AuthError::RateLimited { .. }) => refused = true,
                Err(AuthError::InvalidCode) => {}
                other => panic!("{other:?}"),
            }
            if refused {
                break;
            }
        }
        assert!(refused, "the backoff started");
    }

    #[tokio::test]
    async fn a_known_password_does_not_reset_the_backoff_of_wrong_codes() {
        let f = fixture();
        let a = enrolled(&f).await;
        let pw = Password::new(PASSWORD);
        let wrong =
            if a.secret.code_at(f.clock.now()).as_str() == "000000" { "111111" } else { "000000" };
        let mut refused = false;
        for _ in 0..12 {
            match f.auth.disable_totp(&a.user, None, &pw, wrong, &f.ctx).await {
                Err(AuthError::RateLimited { .. }) => {
                    refused = true;
                    break;
                }
                Err(AuthError::WrongCode) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(refused, "wrong codes with the right password started the backoff");
    }

    #[tokio::test]
    async fn wrong_codes_from_many_addresses_count_for_the_account() {
        let f = fixture();
        let a = enrolled(&f).await;
        let wrong =
            if a.secret.code_at(f.clock.now()).as_str() == "000000" { "111111" } else { "000000" };
        let mut refused = false;
        for i in 0..12u8 {
            // A new address for every guess: the per-address tallies never fill.
            let ctx = RequestContext::new(Some(format!("198.51.100.{i}").parse().unwrap()), None);
            let token = match f.auth.login("alice", &Password::new(PASSWORD), &ctx).await {
                Err(AuthError::MfaRequired(c)) => c.token.expose().to_owned(),
                other => panic!("{other:?}"),
            };
            match f.auth.verify_second_factor(&token, &totp(wrong), &ctx).await {
                Err(AuthError::RateLimited { .. }) => {
                    refused = true;
                    break;
                }
                Err(AuthError::InvalidCode) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(refused, "the account's code tally started a backoff");
    }

    #[tokio::test]
    async fn a_few_wrong_codes_do_not_lock_the_owner_out() {
        let f = fixture();
        let a = enrolled(&f).await;
        let pw = Password::new(PASSWORD);
        let wrong =
            if a.secret.code_at(f.clock.now()).as_str() == "000000" { "111111" } else { "000000" };
        for _ in 0..2 {
            let r = f.auth.regenerate_recovery_codes(&a.user, None, &pw, wrong, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::WrongCode)), "{r:?}");
            let token = challenge(&f).await;
            let r = f.auth.verify_second_factor(&token, &totp(wrong), &f.ctx).await;
            assert!(matches!(r, Err(AuthError::InvalidCode)), "{r:?}");
        }
        // Four wrong codes and four right passwords: the right code still passes, at once.
        let code = a.secret.code_at(f.clock.now());
        f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await.unwrap();
        f.clock.advance(STEP);
        let code = a.secret.code_at(f.clock.now());
        f.auth.regenerate_recovery_codes(&a.user, None, &pw, &code, &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn a_password_change_needs_a_session_that_proved_the_factor_and_keeps_it() {
        let f = fixture();
        let a = enrolled(&f).await;
        let (pw, new) = (Password::new(PASSWORD), Password::new("a brand new passphrase here"));
        let r = f.auth.change_password(a.user.id, &[Amr::Pwd], &pw, &new, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::SecondFactorRequired)), "{r:?}");
        let both = [Amr::Pwd, Amr::Otp];
        let changed = f.auth.change_password(a.user.id, &both, &pw, &new, &f.ctx).await.unwrap();
        let claims = f.auth.verify_access(changed.tokens.access_token.expose()).unwrap();
        assert_eq!(claims.amr, both);
    }

    #[tokio::test]
    async fn a_password_change_ends_a_login_half_way() {
        let f = fixture();
        let a = enrolled(&f).await;
        let token = challenge(&f).await;
        f.clock.advance(Duration::from_secs(1));
        let new = Password::new("a brand new passphrase here");
        let both = [Amr::Pwd, Amr::Otp];
        f.auth
            .change_password(a.user.id, &both, &Password::new(PASSWORD), &new, &f.ctx)
            .await
            .unwrap();
        f.clock.advance(STEP);
        let code = a.secret.code_at(f.clock.now());
        let r = f.auth.verify_second_factor(&token, &totp(&code), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidToken(_))), "{r:?}");
    }

    #[tokio::test]
    async fn a_hundred_wrong_codes_stop_codes_and_the_owner_hears_of_it() {
        use crate::service::test_mail::*;
        let (f, recorder) = mail_fixture();
        let user = user_with_mail(&f, "alice").await;
        let secret = enrolled_as(&f, &user).await;
        let pw = Password::new(PASSWORD);
        let wrong = |at| if secret.code_at(at).as_str() == "000000" { "111111" } else { "000000" };
        let pause = Duration::from_secs(16 * 60); // past the longest backoff
        for _ in 0..Throttle::MAX_CODE_FAILURES {
            f.clock.advance(pause);
            let r = f.auth.disable_totp(&user, None, &pw, wrong(f.clock.now()), &f.ctx).await;
            assert!(matches!(r, Err(AuthError::WrongCode)), "{r:?}");
        }
        // Told at the start of the streak and when codes stopped being taken.
        with_subject(&recorder, "Wrong sign-in codes for your account", 2).await;
        // No code now, not even the right one, nor after a password reset; each refusal
        // keeps the lock.
        let account = ForgottenAccount::Username("alice".into());
        f.auth.forgot_password(&account, &f.ctx).await.unwrap();
        let link = links(&recorder, "/reset-password", 1).await.remove(0);
        let new = Password::new("a brand new passphrase here");
        f.auth.reset_password(&token_of(&link), &new, &f.ctx).await.unwrap();
        for _ in 0..3 {
            f.clock.advance(Duration::from_secs(20 * 3600));
            let right = secret.code_at(f.clock.now());
            let r = f.auth.disable_totp(&user, None, &new, &right, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::RateLimited { .. })), "{r:?}");
        }
        // An administrator's reset of the factor lifts it: enrolled again, codes are taken.
        let root = f.admin("root").await;
        f.auth.reset_second_factors(&root, user.id, &f.ctx).await.unwrap();
        let started = f.auth.begin_totp_enrolment(&user, &new, &f.ctx).await.unwrap();
        let secret = TotpSecret::from_base32(started.secret()).unwrap();
        let code = secret.code_at(f.clock.now());
        f.auth.confirm_totp_enrolment(&user, None, &code, &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn signing_out_everywhere_ends_a_login_half_way() {
        let f = fixture();
        let a = enrolled(&f).await;
        let token = challenge(&f).await;
        f.clock.advance(Duration::from_secs(1));
        f.auth.logout_all(a.user.id, &f.ctx).await.unwrap();
        let code = a.secret.code_at(f.clock.now());
        let r = f.auth.verify_second_factor(&token, &totp(&code), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidToken(_))), "{r:?}");
    }

    #[tokio::test]
    async fn a_rotated_key_reseals_secrets_as_they_are_used() {
        let f = fixture();
        let a = enrolled(&f).await;
        let old = MfaKey::derive(b"fixture secret, 32 bytes or more!").unwrap();
        let new = MfaKey::from_bytes([42; 32]);
        let build = |ring: MfaKeyRing| {
            let keys =
                KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
            let config = AuthConfig::builder(keys).hashing(testing::fast_hashing()).build();
            Auth::builder(config.unwrap(), f.store.clone())
                .clock(std::sync::Arc::new(f.clock.clone()))
                .mfa(MfaSettings::new("Fixture", ring).unwrap())
                .build()
                .unwrap()
        };
        async fn sign_in(auth: Auth, ctx: &RequestContext, code: String) -> Result<SecondStep> {
            let token = match auth.login("alice", &Password::new(PASSWORD), ctx).await {
                Err(AuthError::MfaRequired(c)) => c.token,
                other => panic!("{other:?}"),
            };
            auth.verify_second_factor(token.expose(), &totp(&code), ctx).await
        }
        let rotated = build(MfaKeyRing::new(new.clone()).with_old_key(old.clone()));
        let usage = rotated.mfa_key_usage().await.unwrap();
        let expect = |key: &MfaKey, current| MfaKeyUsage {
            key_id: key.id().to_owned(),
            secrets: 1,
            current,
            known: true,
        };
        assert_eq!(usage, [expect(&old, false)]);
        sign_in(rotated.clone(), &f.ctx, a.secret.code_at(f.clock.now()).to_string())
            .await
            .unwrap();
        assert_eq!(rotated.mfa_key_usage().await.unwrap(), [expect(&new, true)]);
        // The old key can go now.
        f.clock.advance(STEP);
        let only_new = build(MfaKeyRing::new(new.clone()));
        sign_in(only_new, &f.ctx, a.secret.code_at(f.clock.now()).to_string()).await.unwrap();
        // A ring without the sealing key: logged and refused as unavailable, never a 500.
        f.clock.advance(STEP);
        let lost = build(MfaKeyRing::new(MfaKey::from_bytes([7; 32])));
        let usage = lost.mfa_key_usage().await.unwrap();
        assert!(!usage[0].known && !usage[0].current);
        let r = sign_in(lost, &f.ctx, a.secret.code_at(f.clock.now()).to_string()).await;
        assert!(matches!(r, Err(AuthError::MfaUnavailable)), "{r:?}");
    }

    #[tokio::test]
    async fn recovery_codes_sign_in_once_each() {
        let f = fixture();
        let a = enrolled(&f).await;
        let code = SecondFactorCode::Recovery(a.codes[3].clone());
        let step = f.auth.verify_second_factor(&challenge(&f).await, &code, &f.ctx).await.unwrap();
        let claims = f.auth.verify_access(step.signed_in.tokens.access_token.expose()).unwrap();
        assert_eq!(claims.amr, [Amr::Pwd, Amr::Otp]);
        assert_eq!(f.store.recovery_codes_left(a.user.id).await.unwrap(), 9);
        let again = f.auth.verify_second_factor(&challenge(&f).await, &code, &f.ctx).await;
        assert!(matches!(again, Err(AuthError::InvalidCode)), "{again:?}");
    }

    #[tokio::test]
    async fn enrolment_ends_other_sessions_and_keeps_the_callers() {
        let f = fixture();
        let user = f.user("alice").await;
        let other = f.login("alice").await;
        let a = {
            let pw = Password::new(PASSWORD);
            let caller = f.login("alice").await;
            let started = f.auth.begin_totp_enrolment(&user, &pw, &f.ctx).await.unwrap();
            // A second start replaces the pending one; confirming takes the latest.
            let started_again = f.auth.begin_totp_enrolment(&user, &pw, &f.ctx).await.unwrap();
            assert_ne!(started.secret(), started_again.secret());
            let secret = TotpSecret::from_base32(started_again.secret()).unwrap();
            let sid = f.auth.verify_access(caller.tokens.access_token.expose()).unwrap().sid;
            let stale = TotpSecret::from_base32(started.secret()).unwrap().code_at(f.clock.now());
            let r = f.auth.confirm_totp_enrolment(&user, sid, &stale, &f.ctx).await;
            assert!(matches!(r, Err(AuthError::WrongCode)), "{r:?}");
            let code = secret.code_at(f.clock.now());
            f.auth.confirm_totp_enrolment(&user, sid, &code, &f.ctx).await.unwrap();
            caller
        };
        // The other session is gone, access and refresh alike.
        assert!(f.auth.refresh(other.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        assert!(f.auth.authenticate(other.tokens.access_token.expose()).await.is_err());
        // The caller's goes on, now counted as signed in with both factors.
        let pair = f.auth.refresh(a.tokens.refresh_token.expose(), &f.ctx).await.unwrap();
        let claims = f.auth.verify_access(pair.access_token.expose()).unwrap();
        assert_eq!(claims.amr, [Amr::Pwd, Amr::Otp]);
        // A second enrolment is refused while the first is on.
        let r = f.auth.begin_totp_enrolment(&user, &Password::new(PASSWORD), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::Conflict(_))), "{r:?}");
    }

    #[tokio::test]
    async fn a_password_only_session_cannot_refresh_once_a_factor_is_on() {
        let f = fixture();
        let user = f.user("alice").await;
        let before = f.login("alice").await;
        let a = enrolled_as(&f, &user).await;
        // A login that checked the password before the enrolment and starts its session
        // after it: refused, and no session is left.
        let mut record = f.store.user_by_id(user.id).await.unwrap().unwrap();
        let open = f.auth.sessions(&user, None).await.unwrap().len();
        let raced = f.auth.start_session(&record, &[Amr::Pwd], &f.ctx).await.map(|(_, p, _)| p);
        assert!(matches!(raced, Err(AuthError::InvalidCredentials)), "{raced:?}");
        assert_eq!(f.auth.sessions(&user, None).await.unwrap().len(), open);
        // A password-only session that exists anyway (made behind the service's back): its
        // refresh is refused and it ends.
        record.mfa_enabled = false;
        let refresh = RefreshToken::generate();
        let now = f.clock.now();
        f.store
            .insert_refresh_token(NewRefreshToken {
                digest: refresh.digest(),
                user_id: user.id,
                family_id: FamilyId::generate(),
                created_at: now,
                expires_at: now + time::Duration::days(1),
                ip: None,
                user_agent: None,
                amr: vec![Amr::Pwd],
                auth_time: now,
            })
            .await
            .unwrap();
        let r = f.auth.refresh(refresh.expose(), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidToken(TokenRejection::Revoked))), "{r:?}");
        assert!(f.auth.refresh(before.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        drop(a);
    }

    async fn enrolled_as(f: &Fixture, user: &User) -> TotpSecret {
        let pw = Password::new(PASSWORD);
        let started = f.auth.begin_totp_enrolment(user, &pw, &f.ctx).await.unwrap();
        let secret = TotpSecret::from_base32(started.secret()).unwrap();
        let code = secret.code_at(f.clock.now());
        f.auth.confirm_totp_enrolment(user, None, &code, &f.ctx).await.unwrap();
        f.clock.advance(STEP);
        secret
    }

    #[tokio::test]
    async fn disabling_needs_password_and_code_and_ends_other_sessions() {
        let f = fixture();
        let a = enrolled(&f).await;
        let pw = Password::new(PASSWORD);
        let step = {
            let code = a.secret.code_at(f.clock.now());
            f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await.unwrap()
        };
        f.clock.advance(STEP);
        let code = a.secret.code_at(f.clock.now());
        let wrong_pw = Password::new("not the password");
        let r = f.auth.disable_totp(&a.user, None, &wrong_pw, &code, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::WrongPassword)), "{r:?}");
        let r = f.auth.disable_totp(&a.user, None, &pw, "000-000", &f.ctx).await;
        assert_eq!(r.unwrap_err().code(), "validation_error");
        let sid = f.auth.verify_access(a.session.tokens.access_token.expose()).unwrap().sid;
        f.auth.disable_totp(&a.user, sid, &pw, &code, &f.ctx).await.unwrap();
        assert!(!f.store.user_by_id(a.user.id).await.unwrap().unwrap().mfa_enabled);
        assert!(
            f.auth.refresh(step.signed_in.tokens.refresh_token.expose(), &f.ctx).await.is_err()
        );
        assert!(f.auth.refresh(a.session.tokens.refresh_token.expose(), &f.ctx).await.is_ok());
        // The password alone signs in again.
        f.login("alice").await;
    }

    #[tokio::test]
    async fn new_recovery_codes_replace_the_old_set() {
        let f = fixture();
        let a = enrolled(&f).await;
        let pw = Password::new(PASSWORD);
        let code = a.codes[0].expose().to_owned();
        let fresh = f.auth.regenerate_recovery_codes(&a.user, None, &pw, &code, &f.ctx).await;
        let fresh = fresh.unwrap();
        let old = SecondFactorCode::Recovery(a.codes[1].clone());
        let r = f.auth.verify_second_factor(&challenge(&f).await, &old, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::InvalidCode)), "{r:?}");
        let new = SecondFactorCode::Recovery(fresh[0].clone());
        f.auth.verify_second_factor(&challenge(&f).await, &new, &f.ctx).await.unwrap();
    }

    #[tokio::test]
    async fn an_admin_resets_a_lost_device() {
        let f = fixture();
        let a = enrolled(&f).await;
        let root = f.admin("root").await;
        let r = f.auth.reset_second_factors(&a.user, a.user.id, &f.ctx).await;
        assert!(matches!(r, Err(AuthError::Forbidden)), "{r:?}");
        f.auth.reset_second_factors(&root, a.user.id, &f.ctx).await.unwrap();
        assert!(f.auth.refresh(a.session.tokens.refresh_token.expose(), &f.ctx).await.is_err());
        f.login("alice").await;
        let r = f.auth.reset_second_factors(&root, UserId::new(9_999), &f.ctx).await;
        assert!(matches!(r, Err(AuthError::NotFound)), "{r:?}");
    }

    #[tokio::test]
    async fn a_route_marked_for_a_second_factor_refuses_a_password_session() {
        let f = fixture();
        let bob = f.user("bob1").await;
        let plain = f.auth.login("bob1", &Password::new(PASSWORD), &f.ctx).await.unwrap();
        let r = f.auth.authenticate_second_factor(plain.tokens.access_token.expose()).await;
        assert!(matches!(r, Err(AuthError::SecondFactorRequired)), "{r:?}");
        let a = enrolled(&f).await;
        let code = a.secret.code_at(f.clock.now());
        let step = f.auth.verify_second_factor(&challenge(&f).await, &totp(&code), &f.ctx).await;
        let token = step.unwrap().signed_in.tokens.access_token;
        assert_eq!(f.auth.authenticate_second_factor(token.expose()).await.unwrap().id, a.user.id);
        assert!(f.auth.authenticate_second_factor("not a token").await.is_err());
        drop(bob);
    }

    #[tokio::test]
    async fn without_keys_second_factors_are_unavailable() {
        let keys = KeySet::new(SigningKey::hs256(b"fixture secret, 32 bytes or more!").unwrap());
        let config = AuthConfig::builder(keys).hashing(testing::fast_hashing()).build().unwrap();
        let auth = Auth::new(config, std::sync::Arc::new(MemoryStore::new()));
        let ctx = RequestContext::internal();
        let user = auth.register(Registration::new("alice", PASSWORD), None, &ctx).await.unwrap();
        let r = auth.begin_totp_enrolment(&user, &Password::new(PASSWORD), &ctx).await;
        assert!(matches!(r, Err(AuthError::MfaUnavailable)), "{r:?}");
    }

    #[tokio::test]
    async fn a_stored_secret_is_sealed_and_a_dump_yields_no_code() {
        let f = fixture();
        let a = enrolled(&f).await;
        let stored = f.store.totp(a.user.id).await.unwrap().unwrap();
        assert!(
            !stored.secret.sealed.windows(8).any(|w| a
                .secret
                .expose_bytes()
                .windows(8)
                .any(|s| s == w))
        );
        // Another service secret (a dump taken elsewhere) cannot open it.
        let elsewhere =
            MfaKeyRing::new(MfaKey::derive(b"another secret, 32 bytes or more!!").unwrap());
        assert!(elsewhere.open(a.user.id, &stored.secret).is_err());
    }
}
