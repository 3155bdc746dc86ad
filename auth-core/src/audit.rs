//! Audit events: one `tracing` event per security-relevant action, under the target
//! [`AUDIT_TARGET`], with the event name, the user id and the client IP. Never a password,
//! a hash or a token; user-supplied text is recorded with `Debug` escaping, so a CR/LF in it
//! cannot forge a log line.

/// The `tracing` target of every audit event.
pub const AUDIT_TARGET: &str = "auth::audit";

/// Emits an audit event: `audit!(level, "event_name", ctx, field = value, …)`.
macro_rules! audit {
    ($level:ident, $event:literal, $ctx:expr $(, $($fields:tt)+)?) => {
        tracing::$level!(
            target: $crate::audit::AUDIT_TARGET,
            event = $event,
            ip = ?$ctx.ip(),
            user_agent = ?$ctx.user_agent()
            $(, $($fields)+)?
        )
    };
}

pub(crate) use audit;
