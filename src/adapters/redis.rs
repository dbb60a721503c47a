//! What both Redis adapters share: the connection pool and the names of every key and channel,
//! under the configured prefix (`REDIS_URL`, `REDIS_KEY_PREFIX`). The event bus
//! ([`crate::adapters::outbound::redis`]) publishes with them; the projection stream's consumer
//! ([`crate::adapters::inbound::projection_stream`]) reads with them.

use std::time::Duration;

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};

/// The key prefix when none is configured.
pub const DEFAULT_PREFIX: &str = "caravan";

/// The names of every key and channel, under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisKeys {
    prefix: String,
}

impl RedisKeys {
    /// Names under `prefix` (`caravan` gives `caravan:game:{id}` and `caravan:projections`).
    pub fn new(prefix: impl Into<String>) -> Self {
        RedisKeys {
            prefix: prefix.into(),
        }
    }

    /// The pub/sub channel of one game.
    pub fn game_channel(&self, game_id: &str) -> String {
        format!("{}:game:{game_id}", self.prefix)
    }

    /// The game id of a channel name, if it is one of ours.
    pub fn game_of_channel<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix(":game:")
    }

    /// The stream of committed batches that drives the projections.
    pub fn projection_stream(&self) -> String {
        format!("{}:projections", self.prefix)
    }
}

/// Why a Redis adapter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot use REDIS_URL: {0}")]
pub struct RedisSetupError(pub(crate) String);

/// A connection pool for `url`. Opens no connection: connections are made on demand, and each
/// wait, connect or health check gives up after `timeout`.
pub fn pool(url: &str, timeout: Duration) -> Result<Pool, RedisSetupError> {
    // Checks the URL now, so a typo stops start-up instead of failing every publish.
    redis::Client::open(url).map_err(|e| RedisSetupError(e.to_string()))?;
    let mut config = Config::from_url(url);
    config.pool = Some(PoolConfig {
        max_size: 16,
        timeouts: Timeouts {
            wait: Some(timeout),
            create: Some(timeout),
            recycle: Some(timeout),
        },
        ..PoolConfig::default()
    });
    config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|e| RedisSetupError(e.to_string()))
}

/// Doubles `delay` up to `max`.
pub(crate) fn backoff(delay: Duration, max: Duration) -> Duration {
    (delay * 2).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip_and_ignore_other_prefixes() {
        let keys = RedisKeys::new("t1");
        assert_eq!(keys.game_channel("g-7"), "t1:game:g-7");
        assert_eq!(keys.game_of_channel("t1:game:g-7"), Some("g-7"));
        assert_eq!(keys.game_of_channel("t2:game:g-7"), None);
        assert_eq!(keys.projection_stream(), "t1:projections");
    }

    #[test]
    fn a_malformed_url_is_refused_at_once() {
        assert!(pool("not a url", Duration::from_secs(1)).is_err());
    }
}
