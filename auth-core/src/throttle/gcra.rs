//! The token-bucket rule every [`ThrottleStore`](super::ThrottleStore) applies, as the
//! generic cell rate algorithm (GCRA): a bucket is one timestamp, its *theoretical arrival
//! time* (TAT), so a backend keeps one integer per key and updates it in one atomic step.
//!
//! A bucket of `burst` cells refilled at one cell per `interval`: an attempt at `now` is
//! admitted when `max(tat, now) - now <= interval × (burst - 1)`, and then moves the TAT to
//! `max(tat, now) + interval`; a refused attempt leaves it unchanged and must wait until
//! `tat - interval × (burst - 1)`. The SQL stores of `auth-sqlx` run this same rule as one
//! upsert; the conformance checks in [`testing`](crate::testing) hold both to it.
//!
//! (A hand-written rule rather than `governor`: its limiters read their own clock and keep
//! state in process memory, while this rule must also run inside a database statement and
//! on the service's injected [`Clock`](crate::Clock).)

use std::{num::NonZeroU32, time::Duration};

use time::OffsetDateTime;

/// A rate: `n` attempts per window (a minute or an hour), all of them available at once
/// (burst).
///
/// ```
/// use auth_core::throttle::Rate;
/// let rate = Rate::per_minute(30).unwrap();
/// assert_eq!(rate.interval_micros(), 2_000_000);
/// assert_eq!(rate.burst(), 30);
/// assert!(Rate::per_minute(0).is_none()); // 0 means "no limit"
/// assert_eq!(Rate::per_hour(5).unwrap().interval_micros(), 720_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    count: NonZeroU32,
    window_secs: u32,
}

impl Rate {
    /// `n` attempts per minute, or `None` for 0 (no limit).
    pub fn per_minute(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(|count| Self { count, window_secs: 60 })
    }

    /// `n` attempts per hour, or `None` for 0 (no limit).
    pub fn per_hour(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(|count| Self { count, window_secs: 3600 })
    }

    /// Attempts per window.
    pub fn get(self) -> u32 {
        self.count.get()
    }

    /// How many attempts may come at once.
    pub fn burst(self) -> u32 {
        self.count.get()
    }

    /// The time one cell takes to refill, in microseconds.
    pub fn interval_micros(self) -> i64 {
        i64::from(self.window_secs) * 1_000_000 / i64::from(self.count.get())
    }

    /// The burst tolerance `interval × (burst - 1)`, in microseconds.
    pub fn tolerance_micros(self) -> i64 {
        self.interval_micros() * (i64::from(self.burst()) - 1)
    }
}

/// The answer of a bucket to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The attempt may go on; a cell was taken.
    Admitted,
    /// Over the limit; nothing was taken. Retry after this long.
    Refused {
        /// Until the next cell is available.
        retry_after: Duration,
    },
}

/// Microseconds since the Unix epoch: how stores keep instants.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// Applies the rule to a bucket whose TAT is `tat` (`None` for a bucket never used).
/// Returns the answer and the TAT to store (unchanged when refused).
///
/// ```
/// use auth_core::throttle::{Admission, Rate, admit};
/// let rate = Rate::per_minute(2).unwrap(); // one cell per 30 s, two at once
/// let (a, tat) = admit(None, 0, rate);
/// let (b, tat) = admit(Some(tat), 0, rate);
/// let (c, _) = admit(Some(tat), 0, rate);
/// assert_eq!((a, b), (Admission::Admitted, Admission::Admitted));
/// assert!(matches!(c, Admission::Refused { retry_after } if retry_after.as_secs() == 30));
/// ```
pub fn admit(tat: Option<i64>, now: i64, rate: Rate) -> (Admission, i64) {
    let start = tat.map_or(now, |t| t.max(now));
    if start - now <= rate.tolerance_micros() {
        (Admission::Admitted, start + rate.interval_micros())
    } else {
        (admission(false, start, now, rate), start)
    }
}

/// Decodes what a store returns from its atomic update (whether the attempt was admitted
/// and the TAT after it) into an [`Admission`].
pub fn admission(admitted: bool, tat: i64, now: i64, rate: Rate) -> Admission {
    if admitted {
        Admission::Admitted
    } else {
        let wait = tat - rate.tolerance_micros() - now;
        Admission::Refused { retry_after: Duration::from_micros(u64::try_from(wait).unwrap_or(0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_then_one_per_interval() {
        let rate = Rate::per_minute(3).unwrap(); // 20 s per cell
        let mut tat = None;
        for _ in 0..3 {
            let (a, t) = admit(tat, 0, rate);
            assert_eq!(a, Admission::Admitted);
            tat = Some(t);
        }
        let (refused, same) = admit(tat, 0, rate);
        assert_eq!(refused, Admission::Refused { retry_after: Duration::from_secs(20) });
        assert_eq!(Some(same), tat, "a refusal takes nothing");
        // 19.999999 s later: still refused, with 1 µs to go.
        let (r, _) = admit(tat, 19_999_999, rate);
        assert_eq!(r, Admission::Refused { retry_after: Duration::from_micros(1) });
        let (a, t) = admit(tat, 20_000_000, rate);
        assert_eq!(a, Admission::Admitted);
        assert!(matches!(admit(Some(t), 20_000_000, rate).0, Admission::Refused { .. }));
    }

    #[test]
    fn an_idle_bucket_refills_to_its_burst_and_no_further() {
        let rate = Rate::per_minute(2).unwrap();
        let (_, tat) = admit(None, 0, rate);
        // An hour later: two at once, not more.
        let now = 3_600_000_000;
        let (a, tat) = admit(Some(tat), now, rate);
        let (b, tat) = admit(Some(tat), now, rate);
        let (c, _) = admit(Some(tat), now, rate);
        assert_eq!((a, b), (Admission::Admitted, Admission::Admitted));
        assert!(matches!(c, Admission::Refused { .. }));
    }

    #[test]
    fn admission_decodes_what_a_store_returns() {
        let rate = Rate::per_minute(1).unwrap();
        let (_, tat) = admit(None, 0, rate);
        let (r, kept) = admit(Some(tat), 0, rate);
        assert_eq!(admission(false, kept, 0, rate), r);
        assert_eq!(admission(true, tat, 0, rate), Admission::Admitted);
    }
}
