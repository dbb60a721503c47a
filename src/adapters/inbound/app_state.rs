//! What every inbound handler (HTTP route or WebSocket session) is given.

use std::sync::Arc;

use tokio::sync::watch;

use crate::adapters::inbound::throttle::ClientLimits;
use crate::adapters::inbound::websocket::Sessions;
use crate::application::ports::MetricsExposition;
use crate::application::Services;
use crate::config::{Secret, WebSocketSettings};

/// Shared state of the inbound adapters, registered as `web::Data<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub services: Arc<Services>,
    /// The metrics registry behind `/metrics` (the same one the services report to).
    pub metrics: Arc<dyn MetricsExposition>,
    /// Bearer token for admin requests; `None` disables them.
    pub admin_token: Option<Secret>,
    /// WebSocket limits.
    pub websocket: WebSocketSettings,
    /// Flips to "stopping" on SIGTERM/SIGINT, before the HTTP server stops.
    pub shutdown: ShutdownSignal,
    /// The server's WebSocket sessions (commands in flight, for a graceful stop).
    pub websockets: Arc<Sessions>,
    /// Per-address limits (`429` + `Retry-After`); admin requests are exempt.
    pub limits: Arc<ClientLimits>,
    /// `METRICS_TOKEN`: what `/metrics` asks for; `None` leaves it open.
    pub metrics_token: Option<Secret>,
}

/// Tells long-lived connections that the server is stopping (WebSockets close with 1001).
#[derive(Clone, Debug)]
pub struct ShutdownSignal(watch::Receiver<bool>);

/// The sending side, held by the server.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownSignal {
    /// A connected trigger and signal.
    pub fn new() -> (ShutdownTrigger, ShutdownSignal) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(tx), ShutdownSignal(rx))
    }

    /// True once the server has started stopping.
    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when the server starts stopping (at once if it already has).
    pub async fn stopping(&mut self) {
        // An error means the trigger is gone: the server is going away all the same.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

impl ShutdownTrigger {
    /// Tells every signal that the server is stopping.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}
