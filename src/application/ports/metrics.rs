//! The metrics port: counters and histograms the services report.

/// How a command ended, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Events were appended.
    Accepted,
    /// The same command id was already stored: its original result was returned.
    Duplicate,
    /// A rule refused it.
    Rejected,
    /// Conflict after all retries, or a command id reused for another command.
    Conflict,
    /// Not found, unauthorized, invalid.
    Refused,
    /// The store was unavailable.
    Failed,
    /// The store took the write but its answer was lost, and it could not be asked again in time:
    /// the client was told `outcome_unknown` (retry with the same command id).
    Unknown,
}

impl CommandOutcome {
    /// The label used in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Accepted => "accepted",
            CommandOutcome::Duplicate => "duplicate",
            CommandOutcome::Rejected => "rejected",
            CommandOutcome::Conflict => "conflict",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Failed => "failed",
            CommandOutcome::Unknown => "unknown",
        }
    }
}

/// Counters and histograms the service reports (Prometheus in production).
#[cfg_attr(test, mockall::automock)]
pub trait Metrics: Send + Sync + 'static {
    /// A command finished: its type (`playCard`), outcome and duration in seconds.
    fn command_handled(&self, kind: &'static str, outcome: CommandOutcome, seconds: f64);
    /// Events were appended to the store.
    fn events_appended(&self, count: u64);
    /// A publish to the bus failed (the events are committed; subscribers repair from the store).
    fn publish_failed(&self);
    /// A read-model update failed (a rebuild repairs it).
    fn projection_failed(&self);
    /// A WebSocket connection opened.
    fn websocket_opened(&self);
    /// A WebSocket connection closed.
    fn websocket_closed(&self);
}

/// A [`Metrics`] that records nothing (tools and tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn command_handled(&self, _: &'static str, _: CommandOutcome, _: f64) {}
    fn events_appended(&self, _: u64) {}
    fn publish_failed(&self) {}
    fn projection_failed(&self) {}
    fn websocket_opened(&self) {}
    fn websocket_closed(&self) {}
}

/// The text a scraper reads at `/metrics` (Prometheus' exposition format in production): what the
/// HTTP adapter serves without knowing which registry keeps the figures.
pub trait MetricsExposition: Send + Sync + 'static {
    /// Every metric, rendered.
    fn render(&self) -> String;
}
