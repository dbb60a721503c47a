//! Wiring: settings → adapters → services → HTTP server, and the server's life (graceful stop).
//!
//! [`Application::build`] binds the listener (port 0 picks a free one: tests read it back with
//! [`Application::port`]) and [`Application::run_until_stopped`] serves until SIGTERM/SIGINT or a
//! [`StopHandle`], then stops in order: long-lived connections are told first (WebSockets close
//! with 1001), then the HTTP server drains in-flight requests for up to `SHUTDOWN_TIMEOUT_SECS`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tokio::sync::Notify;

use crate::adapters::inbound::{http, AppState, ShutdownSignal, ShutdownTrigger};
use crate::adapters::outbound::jwt::JwtTokens;
use crate::adapters::outbound::memory::{
    LocalEventBus, MemoryEventStore, MemoryReadModels, SystemClock,
};
use crate::adapters::outbound::prometheus::PrometheusMetrics;
use crate::application::ports::{Metrics, Ports};
use crate::application::{CommandSettings, FeedSettings, ServiceSettings, Services};
use crate::config::{AppEnv, EventBusKind, EventStoreKind, Settings};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The address cannot be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// An adapter chosen in the settings is not available or cannot start.
    #[error("{0}")]
    Adapter(String),
}

/// The ports for the configured adapters, and the metrics registry behind `/metrics`.
pub struct Adapters {
    /// Every port.
    pub ports: Ports,
    /// The same metrics as `ports.metrics`, concretely, for rendering.
    pub metrics: Arc<PrometheusMetrics>,
}

/// Builds the adapters named by `EVENT_STORE` and `EVENT_BUS`.
pub async fn build_adapters(settings: &Settings) -> Result<Adapters, StartupError> {
    let metrics = Arc::new(
        PrometheusMetrics::new()
            .map_err(|e| StartupError::Adapter(format!("cannot register metrics: {e}")))?,
    );
    let store = match settings.storage.event_store {
        EventStoreKind::Memory => Arc::new(MemoryEventStore::new()),
        EventStoreKind::Mongodb => return Err(StartupError::Adapter(
            "EVENT_STORE=mongodb: this build has no MongoDB adapter yet; use EVENT_STORE=memory"
                .into(),
        )),
    };
    let bus = match settings.storage.event_bus {
        EventBusKind::Local => Arc::new(LocalEventBus::default()),
        EventBusKind::Redis => {
            return Err(StartupError::Adapter(
                "EVENT_BUS=redis: this build has no Redis adapter yet; use EVENT_BUS=local".into(),
            ))
        }
    };
    let ports = Ports {
        store,
        bus,
        read_models: Arc::new(MemoryReadModels::new()),
        clock: Arc::new(SystemClock),
        tokens: Arc::new(JwtTokens::new(settings.auth.jwt_secret.expose().as_bytes())),
        metrics: metrics.clone() as Arc<dyn Metrics>,
    };
    Ok(Adapters { ports, metrics })
}

/// The service settings derived from the configuration.
pub fn service_settings(settings: &Settings) -> ServiceSettings {
    ServiceSettings {
        commands: CommandSettings {
            max_players: settings.game.max_players,
            caravan_capacity: settings.game.caravan_capacity,
            point_cards_to_end: settings.game.point_cards_to_end,
            retries: settings.game.command_retries,
            token_ttl_secs: settings.auth.jwt_ttl_secs,
            in_process_projections: true,
        },
        feeds: FeedSettings::default(),
        hot_games: settings.game.hot_games,
    }
}

/// Stops a running [`Application`] as SIGTERM would (for tests and embedding).
#[derive(Clone, Debug)]
pub struct StopHandle(Arc<Notify>);

impl StopHandle {
    /// Asks the server to stop gracefully.
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    trigger: ShutdownTrigger,
    stop: Arc<Notify>,
}

impl Application {
    /// Builds the configured adapters and binds the listener.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let adapters = build_adapters(&settings).await?;
        Self::build_with(settings, adapters)
    }

    /// Binds the listener over the given adapters (tests inject their own).
    pub fn build_with(settings: Settings, adapters: Adapters) -> Result<Application, StartupError> {
        if settings.auth.uses_default_secret() && settings.app_env != AppEnv::Production {
            tracing::warn!("JWT_SECRET is the built-in development secret: set your own before real players join");
        }
        let services = Arc::new(Services::new(adapters.ports, service_settings(&settings)));
        let (trigger, shutdown) = ShutdownSignal::new();
        let state = AppState {
            services,
            metrics: adapters.metrics,
            admin_token: settings.auth.admin_token.clone(),
            websocket: settings.websocket.clone(),
            shutdown,
        };
        let address = settings.address();
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        let server = run(listener, state.clone(), &settings)?;
        Ok(Application {
            port,
            server,
            state,
            trigger,
            stop: Arc::new(Notify::new()),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state handlers share (tests use its services directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server gracefully.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Serves until SIGTERM, SIGINT or [`StopHandle::stop`], then stops gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            trigger,
            stop,
            port,
            ..
        } = self;
        let handle = server.handle();
        let mut server = tokio::spawn(server);
        tracing::info!(port, "caravan is serving");
        tokio::select! {
            result = &mut server => return result.map_err(std::io::Error::other)?,
            _ = os_signal() => tracing::info!("stop signal received"),
            _ = stop.notified() => tracing::info!("stop requested"),
        }
        // Long-lived connections first (WebSockets close with 1001), then drain HTTP.
        trigger.trigger();
        handle.stop(true).await;
        server.await.map_err(std::io::Error::other)?
    }
}

/// The HTTP server over `listener`.
fn run(
    listener: TcpListener,
    state: AppState,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let max_body = settings.server.max_body_bytes;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(http::trace_requests))
            .app_data(data.clone())
            .configure(http::configure(max_body))
            .default_service(web::to(http::not_found))
    })
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)
    .map_err(|e| StartupError::Adapter(format!("cannot start the HTTP server: {e}")))?
    .run();
    Ok(server)
}

/// Resolves on SIGTERM or SIGINT.
async fn os_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
