//! Per-connection message rate limit: a token bucket, plus a rule that turns sustained abuse into
//! a closed connection.
//!
//! The bucket holds `rate` tokens and refills at `rate` tokens per second, so a client may send a
//! burst of `rate` messages and then `rate` per second. A message that finds the bucket empty is
//! dropped (the client gets `rate_limited`). When more than `rate` messages are dropped within
//! [`ABUSE_WINDOW`], the connection is closed: a client that keeps sending at twice the limit for
//! a few seconds is not a client with a bug the error message will fix.

use std::time::{Duration, Instant};

/// The window over which dropped messages are counted.
pub const ABUSE_WINDOW: Duration = Duration::from_secs(5);

/// What to do with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Allow,
    /// Drop it and tell the client (`rate_limited`).
    Refuse,
    /// Drop it and close the connection.
    Abuse,
}

/// The rate limiter of one connection.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: f64,
    tokens: f64,
    refilled_at: Instant,
    window_started: Instant,
    refused_in_window: u32,
    abuse_threshold: u32,
}

impl RateLimiter {
    /// A full bucket of `per_second` tokens (at least one).
    pub fn new(per_second: u32, now: Instant) -> Self {
        let per_second = per_second.max(1);
        RateLimiter {
            rate: f64::from(per_second),
            tokens: f64::from(per_second),
            refilled_at: now,
            window_started: now,
            refused_in_window: 0,
            abuse_threshold: per_second,
        }
    }

    /// Takes a token for one message arriving at `now`.
    pub fn check(&mut self, now: Instant) -> Verdict {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Allow;
        }
        if now.saturating_duration_since(self.window_started) > ABUSE_WINDOW {
            self.window_started = now;
            self.refused_in_window = 0;
        }
        self.refused_in_window += 1;
        if self.refused_in_window > self.abuse_threshold {
            Verdict::Abuse
        } else {
            Verdict::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_up_to_the_rate_passes_and_the_next_message_is_refused() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(3, t0);
        assert_eq!(limiter.check(t0), Verdict::Allow);
        assert_eq!(limiter.check(t0), Verdict::Allow);
        assert_eq!(limiter.check(t0), Verdict::Allow);
        assert_eq!(limiter.check(t0), Verdict::Refuse);
    }

    #[test]
    fn the_bucket_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(2, t0);
        limiter.check(t0);
        limiter.check(t0);
        assert_eq!(limiter.check(t0), Verdict::Refuse);
        assert_eq!(
            limiter.check(t0 + Duration::from_millis(500)),
            Verdict::Allow
        );
        assert_eq!(
            limiter.check(t0 + Duration::from_millis(500)),
            Verdict::Refuse
        );
    }

    #[test]
    fn a_steady_client_at_the_rate_is_never_refused() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(10, t0);
        for i in 0..1000u64 {
            let now = t0 + Duration::from_millis(100 * i);
            assert_eq!(limiter.check(now), Verdict::Allow, "message {i}");
        }
    }

    #[test]
    fn more_refusals_than_the_rate_within_the_window_is_abuse() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(2, t0);
        limiter.check(t0);
        limiter.check(t0);
        assert_eq!(limiter.check(t0), Verdict::Refuse);
        assert_eq!(limiter.check(t0), Verdict::Refuse);
        assert_eq!(limiter.check(t0), Verdict::Abuse);
    }

    #[test]
    fn refusals_spread_over_several_windows_are_forgiven() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(1, t0);
        let mut now = t0;
        for _ in 0..10 {
            assert_eq!(limiter.check(now), Verdict::Allow);
            assert_eq!(limiter.check(now), Verdict::Refuse);
            now += ABUSE_WINDOW + Duration::from_millis(1);
        }
    }
}
