//! Logs and traces: one `tracing` subscriber for the whole process, pretty or JSON.
//!
//! Spans are opened where work happens (per HTTP request in the HTTP adapter, per command in the
//! application); this module only decides where they go. It must never print a token or secret:
//! callers log player ids and seats, not `Authorization` headers.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. Calling it twice is harmless (the second call does nothing), so
/// tests may call it from every test.
pub fn init(settings: &LogSettings) {
    // The level was validated when the settings were loaded; fall back to `info` all the same.
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().with_target(true)).try_init(),
    };
    // An error only means a subscriber is already installed (a second call in tests).
    let _ = result;
}
