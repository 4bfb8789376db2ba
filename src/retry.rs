//! When to retry a failed attempt and how long to wait first.
//!
//! The rules follow the official Avara SDKs (Stainless-generated, checked
//! against the Python SDK 0.3.0): retry connection errors, timeouts, 408,
//! 409, 429 and 5xx unless the server's `x-should-retry` header overrides that;
//! wait what `retry-after-ms` or `Retry-After` asks when that is more than
//! 0 and at most 60 s, else back off exponentially with jitter.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

/// First backoff delay.
pub(crate) const INITIAL_RETRY_DELAY: Duration = Duration::from_millis(500);
/// Backoff never exceeds this, before jitter.
pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(8);
/// Longest server-requested wait that is obeyed; longer ones fall back to
/// backoff.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The headers of a response that steer retries.
#[derive(Debug, Default, Clone)]
pub(crate) struct RetryHints {
    pub(crate) should_retry: Option<String>,
    pub(crate) retry_after_ms: Option<String>,
    pub(crate) retry_after: Option<String>,
}

/// Decides whether a response with `status` may be retried. The server's
/// `x-should-retry` header, when `true` or `false`, overrides the status.
pub(crate) fn should_retry_status(status: u16, hints: &RetryHints) -> bool {
    match hints.should_retry.as_deref().map(str::trim) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// Reads the server-requested wait: `retry-after-ms` first, then
/// `Retry-After` as seconds (fractions allowed) or as an HTTP date.
pub(crate) fn requested_wait(hints: &RetryHints, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = hints.retry_after_ms.as_deref().and_then(parse_number) {
        return seconds_to_duration(ms / 1000.0);
    }
    let value = hints.retry_after.as_deref()?.trim();
    if let Some(seconds) = parse_number(value) {
        return seconds_to_duration(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(now).ok()
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(seconds).ok()
}

/// Computes the wait before retry number `retries_taken + 1`. `jitter` is
/// a random number in [0, 1) that trims up to 25 % off the backoff.
pub(crate) fn retry_delay(
    requested: Option<Duration>,
    retries_taken: u32,
    jitter: f64,
) -> Duration {
    if let Some(wait) = requested {
        if !wait.is_zero() && wait <= MAX_RETRY_AFTER {
            return wait;
        }
    }
    let doublings = retries_taken.min(16);
    let backoff = INITIAL_RETRY_DELAY
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_DELAY);
    backoff.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
}

/// A random number in [0, 1) for jitter. Quality only needs to spread
/// clients apart, so a per-thread xorshift seeded from std's hasher keys
/// is enough.
pub(crate) fn jitter() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0u64) | 1);
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(should: Option<&str>, ms: Option<&str>, after: Option<&str>) -> RetryHints {
        RetryHints {
            should_retry: should.map(String::from),
            retry_after_ms: ms.map(String::from),
            retry_after: after.map(String::from),
        }
    }

    #[test]
    fn retryable_statuses() {
        let none = RetryHints::default();
        for status in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(should_retry_status(status, &none), "{status}");
        }
        for status in [300, 400, 401, 403, 404, 422, 499] {
            assert!(!should_retry_status(status, &none), "{status}");
        }
    }

    #[test]
    fn should_retry_header_overrides() {
        assert!(should_retry_status(400, &hints(Some("true"), None, None)));
        assert!(!should_retry_status(503, &hints(Some("false"), None, None)));
        assert!(should_retry_status(503, &hints(Some("maybe"), None, None)));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            requested_wait(&hints(None, Some("250"), Some("9")), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            requested_wait(&hints(None, None, Some("2")), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            requested_wait(&hints(None, None, Some("1.5")), now),
            Some(Duration::from_millis(1500))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(3));
        assert_eq!(
            requested_wait(&hints(None, None, Some(&date)), now),
            Some(Duration::from_secs(3))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(3));
        assert_eq!(requested_wait(&hints(None, None, Some(&past)), now), None);
        assert_eq!(requested_wait(&hints(None, None, Some("soon")), now), None);
        assert_eq!(requested_wait(&hints(None, Some("-5"), None), now), None);
    }

    #[test]
    fn requested_wait_obeyed_within_bounds() {
        let wait = Some(Duration::from_secs(60));
        assert_eq!(retry_delay(wait, 0, 0.0), Duration::from_secs(60));
        assert_eq!(
            retry_delay(Some(Duration::from_millis(3)), 5, 0.9),
            Duration::from_millis(3)
        );
    }

    #[test]
    fn out_of_bounds_wait_falls_back_to_backoff() {
        assert_eq!(
            retry_delay(Some(Duration::from_secs(61)), 0, 0.0),
            INITIAL_RETRY_DELAY
        );
        assert_eq!(
            retry_delay(Some(Duration::ZERO), 1, 0.0),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn backoff_doubles_to_cap() {
        let delays: Vec<Duration> = (0..6).map(|n| retry_delay(None, n, 0.0)).collect();
        let expected = [500, 1000, 2000, 4000, 8000, 8000].map(Duration::from_millis);
        assert_eq!(delays, expected);
        assert_eq!(retry_delay(None, u32::MAX, 0.0), MAX_RETRY_DELAY);
    }

    #[test]
    fn jitter_trims_at_most_quarter() {
        assert_eq!(
            retry_delay(None, 0, 0.999_999),
            Duration::from_nanos(375_000_125)
        );
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
            let delay = retry_delay(None, 2, j);
            assert!(delay > Duration::from_millis(1500), "{delay:?}");
            assert!(delay <= Duration::from_secs(2), "{delay:?}");
        }
    }
}
