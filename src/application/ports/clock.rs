//! The clock port.

use chrono::{DateTime, Utc};

/// The time source (a fixed clock in tests).
#[cfg_attr(test, mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}
