//! Per-key limits shared by every inbound route: how often a key may do something
//! ([`RateLimiter`], a token bucket per key) and how many of something a key may hold at once
//! ([`ConcurrencyLimiter`], a counter per key released by a [`Permit`]).
//!
//! Keys are client addresses ([`ClientKey`]) or game ids; [`ClientLimits`] holds the server's
//! per-address limits.
//! Both maps are bounded: a rate limiter forgets keys whose bucket has refilled, and holds at most
//! [`MAX_KEYS`] (refusing new keys beyond that rather than growing); a concurrency limiter holds
//! only keys with something open. A refusal carries how long to wait ([`Limited::retry_after`]),
//! which the edges send as `Retry-After`.
//!
//! This module never decides who is exempt: routes skip the check for admin requests.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::client_ip::{client_key, ClientKey};
use crate::config::{IpNet, LimitSettings};

/// Most keys a rate limiter tracks at once; beyond it, new keys are refused until old ones refill.
pub const MAX_KEYS: usize = 100_000;

/// A refusal: the limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// How long until the request would be accepted.
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds to wait, at least 1 (the `Retry-After` value).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        if self.retry_after.subsec_nanos() > 0 || secs == 0 {
            secs + 1
        } else {
            secs
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per key: `per_window` actions per `window`, all of which may come at once.
#[derive(Debug)]
pub struct RateLimiter<K> {
    capacity: f64,
    /// Tokens added per second.
    refill: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
    max_keys: usize,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// `per_window` actions per `window` for each key (at least 1 of each).
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self::with_max_keys(per_window, window, MAX_KEYS)
    }

    /// Like [`RateLimiter::new`], tracking at most `max_keys` keys.
    pub fn with_max_keys(per_window: u32, window: Duration, max_keys: usize) -> Self {
        let capacity = f64::from(per_window.max(1));
        let refill = capacity / window.as_secs_f64().max(0.001);
        RateLimiter {
            capacity,
            refill,
            buckets: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(1),
        }
    }

    /// `per_minute` actions per minute for each key.
    pub fn per_minute(per_minute: u32) -> Self {
        Self::new(per_minute, Duration::from_secs(60))
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &K) -> Result<(), Limited> {
        self.check_at(key, Instant::now())
    }

    /// [`RateLimiter::check`] at a given instant (tests).
    pub fn check_at(&self, key: &K, now: Instant) -> Result<(), Limited> {
        let mut buckets = self.buckets.lock();
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            self.forget_full(&mut buckets, now);
            if buckets.len() >= self.max_keys {
                // Every tracked key is still limited: refuse rather than grow.
                return Err(Limited {
                    retry_after: Duration::from_secs_f64(1.0 / self.refill),
                });
            }
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        self.refill_bucket(bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Limited {
                retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / self.refill),
            })
        }
    }

    /// Whether `key` has no token left, without taking one.
    pub fn is_exhausted(&self, key: &K) -> Option<Limited> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let bucket = buckets.get_mut(key)?;
        self.refill_bucket(bucket, now);
        (bucket.tokens < 1.0).then(|| Limited {
            retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / self.refill),
        })
    }

    /// Keys tracked now (tests and metrics).
    pub fn tracked(&self) -> usize {
        self.buckets.lock().len()
    }

    fn refill_bucket(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.refill).min(self.capacity);
        bucket.updated = now;
    }

    /// Drops the keys whose bucket would be full by now: forgetting them changes nothing.
    fn forget_full(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let (capacity, refill) = (self.capacity, self.refill);
        buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
            b.tokens + elapsed * refill < capacity
        });
    }
}

/// How many of something each key holds at once, at most `max`.
#[derive(Debug)]
pub struct ConcurrencyLimiter<K: Eq + Hash> {
    max: u32,
    held: Mutex<HashMap<K, u32>>,
}

impl<K: Eq + Hash + Clone + Send + 'static> ConcurrencyLimiter<K> {
    /// At most `max` at once per key.
    pub fn new(max: u32) -> Arc<Self> {
        Arc::new(ConcurrencyLimiter {
            max,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// One more for `key`, held until the permit is dropped; refused at the limit.
    ///
    /// The refusal's `retry_after` is a hint (one second): a slot frees when a holder leaves.
    pub fn acquire(self: &Arc<Self>, key: K) -> Result<Permit, Limited> {
        let mut held = self.held.lock();
        let count = held.entry(key.clone()).or_insert(0);
        if *count >= self.max {
            return Err(Limited {
                retry_after: Duration::from_secs(1),
            });
        }
        *count += 1;
        drop(held);
        let limiter = self.clone();
        Ok(Permit {
            release: Some(Box::new(move || limiter.release(&key))),
        })
    }

    /// How many `key` holds now.
    pub fn held(&self, key: &K) -> u32 {
        self.held.lock().get(key).copied().unwrap_or(0)
    }

    /// Keys holding at least one now.
    pub fn keys(&self) -> usize {
        self.held.lock().len()
    }

    fn release(&self, key: &K) {
        let mut held = self.held.lock();
        if let Some(count) = held.get_mut(key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(key);
            }
        }
    }
}

/// One slot of a [`ConcurrencyLimiter`], given back when dropped.
pub struct Permit {
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Permit")
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// The per-address limits of the inbound edges, built from the settings and shared by every route.
#[derive(Debug)]
pub struct ClientLimits {
    /// `TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpNet>,
    /// `RATE_LIMIT_GAMES_PER_MIN`: `POST /api/games`.
    pub games: RateLimiter<ClientKey>,
    /// `RATE_LIMIT_JOINS_PER_MIN`: `POST /api/games/{id}/join`.
    pub joins: RateLimiter<ClientKey>,
    /// `WS_CONNECTIONS_PER_ADDRESS`: open WebSockets.
    pub websockets: Arc<ConcurrencyLimiter<ClientKey>>,
    /// `ADMIN_AUTH_FAILURES_PER_MIN`: wrong admin or metrics tokens.
    pub admin_failures: RateLimiter<ClientKey>,
}

impl ClientLimits {
    /// The limits the settings ask for.
    pub fn new(settings: &LimitSettings) -> ClientLimits {
        ClientLimits {
            trusted_proxies: settings.trusted_proxies.clone(),
            games: RateLimiter::per_minute(settings.games_per_min),
            joins: RateLimiter::per_minute(settings.joins_per_min),
            websockets: ConcurrencyLimiter::new(settings.ws_connections_per_address),
            admin_failures: RateLimiter::per_minute(settings.admin_failures_per_min),
        }
    }

    /// The client key of a request, through the trusted proxies.
    pub fn client(&self, req: &actix_web::HttpRequest) -> ClientKey {
        client_key(req, &self.trusted_proxies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(&"a", t0).is_ok());
        }
        let refused = limiter.check_at(&"a", t0).unwrap_err();
        assert_eq!(refused.retry_after_secs(), 20);
        assert!(limiter.check_at(&"b", t0).is_ok(), "keys are independent");
        assert!(limiter
            .check_at(&"a", t0 + Duration::from_secs(19))
            .is_err());
        assert!(limiter.check_at(&"a", t0 + Duration::from_secs(21)).is_ok());
    }

    #[test]
    fn a_full_map_forgets_refilled_keys_and_refuses_new_ones_while_all_are_limited() {
        let limiter = RateLimiter::with_max_keys(1, Duration::from_secs(10), 2);
        let t0 = Instant::now();
        assert!(limiter.check_at(&1, t0).is_ok());
        assert!(limiter.check_at(&2, t0).is_ok());
        assert!(
            limiter.check_at(&3, t0).is_err(),
            "no room while 1 and 2 are limited"
        );
        assert_eq!(limiter.tracked(), 2);
        let later = t0 + Duration::from_secs(11);
        assert!(limiter.check_at(&3, later).is_ok());
        assert_eq!(limiter.tracked(), 1, "refilled keys were forgotten");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let l = |ms| Limited {
            retry_after: Duration::from_millis(ms),
        };
        assert_eq!(l(0).retry_after_secs(), 1);
        assert_eq!(l(1).retry_after_secs(), 1);
        assert_eq!(l(1000).retry_after_secs(), 1);
        assert_eq!(l(1001).retry_after_secs(), 2);
    }

    #[test]
    fn permits_are_counted_per_key_and_released_on_drop() {
        let limiter = ConcurrencyLimiter::new(2);
        let a1 = limiter.acquire("a").unwrap();
        let _a2 = limiter.acquire("a").unwrap();
        assert!(limiter.acquire("a").is_err());
        let _b = limiter.acquire("b").unwrap();
        assert_eq!(limiter.held(&"a"), 2);
        drop(a1);
        assert_eq!(limiter.held(&"a"), 1);
        let _a3 = limiter.acquire("a").unwrap();
        drop((_a2, _a3, _b));
        assert_eq!(limiter.keys(), 0, "keys with nothing held are forgotten");
    }
}
