//! The [`Metrics`] port on a Prometheus registry, rendered as text at `GET /metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::application::ports::{CommandOutcome, Metrics, MetricsExposition};

/// Every metric the server exports.
#[derive(Clone)]
pub struct PrometheusMetrics {
    registry: Registry,
    commands: IntCounterVec,
    command_seconds: HistogramVec,
    websockets_open: IntGauge,
    events_appended: IntCounter,
    publish_failures: IntCounter,
    projection_failures: IntCounter,
}

impl PrometheusMetrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("caravan".into()), None)?;
        let commands = IntCounterVec::new(
            Opts::new("commands_total", "Commands handled, by type and outcome"),
            &["type", "outcome"],
        )?;
        let command_seconds = HistogramVec::new(
            HistogramOpts::new(
                "command_duration_seconds",
                "Time from receiving a command to its result",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["type"],
        )?;
        let websockets_open = IntGauge::new("websockets_open", "Open WebSocket connections")?;
        let events_appended = IntCounter::new(
            "events_appended_total",
            "Events appended to the event store",
        )?;
        let publish_failures = IntCounter::new(
            "publish_failures_total",
            "Failed publishes to the event bus",
        )?;
        let projection_failures =
            IntCounter::new("projection_failures_total", "Failed read-model updates")?;
        registry.register(Box::new(commands.clone()))?;
        registry.register(Box::new(command_seconds.clone()))?;
        registry.register(Box::new(websockets_open.clone()))?;
        registry.register(Box::new(events_appended.clone()))?;
        registry.register(Box::new(publish_failures.clone()))?;
        registry.register(Box::new(projection_failures.clone()))?;
        Ok(PrometheusMetrics {
            registry,
            commands,
            command_seconds,
            websockets_open,
            events_appended,
            publish_failures,
            projection_failures,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl MetricsExposition for PrometheusMetrics {
    fn render(&self) -> String {
        PrometheusMetrics::render(self)
    }
}

impl Metrics for PrometheusMetrics {
    fn command_handled(&self, kind: &'static str, outcome: CommandOutcome, seconds: f64) {
        self.commands
            .with_label_values(&[kind, outcome.as_str()])
            .inc();
        self.command_seconds
            .with_label_values(&[kind])
            .observe(seconds);
    }
    fn events_appended(&self, count: u64) {
        self.events_appended.inc_by(count);
    }
    fn publish_failed(&self) {
        self.publish_failures.inc();
    }
    fn projection_failed(&self) {
        self.projection_failures.inc();
    }
    fn websocket_opened(&self) {
        self.websockets_open.inc();
    }
    fn websocket_closed(&self) {
        self.websockets_open.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_every_metric() {
        let metrics = PrometheusMetrics::new().unwrap();
        metrics.command_handled("playCard", CommandOutcome::Accepted, 0.002);
        metrics.events_appended(2);
        metrics.publish_failed();
        metrics.websocket_opened();
        let text = metrics.render();
        for name in [
            "caravan_commands_total{outcome=\"accepted\",type=\"playCard\"} 1",
            "caravan_command_duration_seconds_bucket",
            "caravan_websockets_open 1",
            "caravan_events_appended_total 2",
            "caravan_publish_failures_total 1",
        ] {
            assert!(text.contains(name), "missing {name} in\n{text}");
        }
    }
}
