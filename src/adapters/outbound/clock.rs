//! The system clock: the [`Clock`] port on the machine's real time, whatever the stores are.

use chrono::{DateTime, Utc};

use crate::application::ports::Clock;

/// The real clock, to the millisecond: what every store keeps (BSON dates are milliseconds), so a
/// timestamp reads back exactly as it was written whatever the adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}
