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
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use tokio::sync::Notify;

use crate::adapters::inbound::projection_stream::{
    ProjectGames, ProjectionConsumer, ProjectionConsumerOptions,
};
use crate::adapters::inbound::throttle::ClientLimits;
use crate::adapters::inbound::{http, websocket, AppState, ShutdownSignal, ShutdownTrigger};
use crate::adapters::outbound::clock::SystemClock;
use crate::adapters::outbound::jwt::JwtTokens;
use crate::adapters::outbound::memory::{LocalEventBus, MemoryEventStore, MemoryReadModels};
use crate::adapters::outbound::mongodb::{self, MongoEventStore, MongoReadModels};
use crate::adapters::outbound::prometheus::PrometheusMetrics;
use crate::adapters::outbound::redis::{self, RedisBusOptions, RedisEventBus, RedisKeys};
use crate::application::ports::{EventBus, EventStore, Metrics, Ports, ReadModels};
use crate::application::{
    CommandSettings, FeedSettings, SchedulerSettings, ServiceSettings, Services,
};
use crate::config::{AppEnv, EventBusKind, EventStoreKind, Settings};

mod copy;
mod embedded;

pub use copy::{copy_between, CopyFailed};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The address cannot be bound.
    #[error("cannot listen on {address}: {error}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The OS error (in the message, not chained, so it is printed once).
        error: std::io::Error,
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

/// Whether the read models are driven by the Redis projection stream (several instances sharing
/// MongoDB and Redis) rather than updated in process after each command.
pub fn projections_from_stream(settings: &Settings) -> bool {
    settings.storage.event_store == EventStoreKind::Mongodb
        && settings.storage.event_bus == EventBusKind::Redis
}

/// Builds the adapters named by `EVENT_STORE` and `EVENT_BUS`.
///
/// Nothing here waits for MongoDB or Redis: with `EVENT_STORE=mongodb` the indexes are created in
/// the background, retried with backoff until the server answers (`/ready` fails meanwhile, and
/// commands are refused as `unavailable`); the Redis bus connects in the background too.
pub async fn build_adapters(settings: &Settings) -> Result<Adapters, StartupError> {
    let metrics = Arc::new(
        PrometheusMetrics::new()
            .map_err(|e| StartupError::Adapter(format!("cannot register metrics: {e}")))?,
    );
    let mut catch_up = None;
    let (store, read_models): (Arc<dyn EventStore>, Arc<dyn ReadModels>) =
        match settings.storage.event_store {
            EventStoreKind::Memory => (
                Arc::new(MemoryEventStore::new()),
                Arc::new(MemoryReadModels::new()),
            ),
            EventStoreKind::Mongodb => {
                let database = mongodb::connect(
                    settings.storage.mongo_uri.expose(),
                    &settings.storage.mongo_db,
                )
                .await
                .map_err(|e| StartupError::Adapter(e.to_string()))?;
                let store = MongoEventStore::new(&database);
                let read_models = MongoReadModels::new(&database);
                let (s, r) = (store.clone(), read_models.clone());
                tokio::spawn(async move { mongodb::prepare_with_backoff(&s, &r).await });
                (Arc::new(store), Arc::new(read_models))
            }
            EventStoreKind::Embedded => {
                let opened = embedded::open(settings).await?;
                catch_up = Some(opened.read_models.clone());
                (Arc::new(opened.store), Arc::new(opened.read_models))
            }
        };
    let bus: Arc<dyn EventBus> = match settings.storage.event_bus {
        EventBusKind::Local => Arc::new(LocalEventBus::default()),
        EventBusKind::Redis => {
            if settings.storage.event_store == EventStoreKind::Memory {
                tracing::warn!("EVENT_BUS=redis with EVENT_STORE=memory: each instance keeps its own events; use EVENT_STORE=mongodb for several instances");
            }
            let options = RedisBusOptions {
                projection_stream: projections_from_stream(settings),
                ..RedisBusOptions::default()
            };
            let keys = RedisKeys::new(settings.storage.redis_key_prefix.as_str());
            Arc::new(
                RedisEventBus::new(settings.storage.redis_url.expose(), keys, options)
                    .map_err(|e| StartupError::Adapter(e.to_string()))?,
            )
        }
    };
    let ports = Ports {
        store,
        bus,
        read_models,
        clock: Arc::new(SystemClock),
        tokens: Arc::new(JwtTokens::new(settings.auth.jwt_secret.expose().as_bytes())),
        metrics: metrics.clone() as Arc<dyn Metrics>,
    };
    if let Some(read_models) = catch_up {
        embedded::catch_up_read_models(&read_models, &ports, service_settings(settings)).await?;
    }
    Ok(Adapters { ports, metrics })
}

/// The service settings derived from the configuration.
pub fn service_settings(settings: &Settings) -> ServiceSettings {
    ServiceSettings {
        commands: CommandSettings {
            max_players: settings.game.max_players,
            caravan_capacity: settings.game.caravan_capacity,
            point_cards_to_end: settings.game.point_cards_to_end,
            turn_seconds: settings.game.turn_seconds,
            timeouts_to_forfeit: settings.game.timeouts_to_forfeit,
            retries: settings.game.command_retries,
            outcome_wait: std::time::Duration::from_millis(settings.game.command_outcome_wait_ms),
            token_ttl_secs: settings.auth.jwt_ttl_secs,
            in_process_projections: !projections_from_stream(settings),
        },
        feeds: FeedSettings::default(),
        hot_games: settings.game.hot_games,
        scheduler: SchedulerSettings {
            bot_thinking: Duration::from_millis(settings.game.bot_thinking_ms),
            rescan: Duration::from_secs(settings.game.scheduler_rescan_secs),
            waiting_timeout: (settings.game.waiting_timeout_secs > 0)
                .then(|| Duration::from_secs(settings.game.waiting_timeout_secs)),
            ..SchedulerSettings::default()
        },
        // MongoDB is shared by every instance; the embedded store's directory lock keeps any
        // other process out, and the in-memory store lives in this one.
        sole_writer: settings.storage.event_store != EventStoreKind::Mongodb,
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
    /// This instance's consumer of the projection stream (redis + mongodb), run while serving.
    projections: Option<ProjectionConsumer>,
}

/// The projection stream's consumer for these settings, if they call for one.
fn projection_consumer(
    settings: &Settings,
    services: &Arc<Services>,
) -> Result<Option<ProjectionConsumer>, StartupError> {
    if !projections_from_stream(settings) {
        return Ok(None);
    }
    let options = ProjectionConsumerOptions::default();
    let pool = redis::pool(settings.storage.redis_url.expose(), options.command_timeout)
        .map_err(|e| StartupError::Adapter(e.to_string()))?;
    Ok(Some(ProjectionConsumer::new(
        pool,
        RedisKeys::new(settings.storage.redis_key_prefix.as_str()),
        options,
        Arc::new(ProjectGames(services.clone())),
    )))
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
        let projections = projection_consumer(&settings, &services)?;
        let (trigger, shutdown) = ShutdownSignal::new();
        let state = AppState {
            services,
            metrics: adapters.metrics,
            admin_token: settings.auth.admin_token.clone(),
            websocket: settings.websocket.clone(),
            shutdown,
            websockets: Arc::new(websocket::Sessions::new()),
            limits: Arc::new(ClientLimits::new(&settings.limits)),
            metrics_token: settings.auth.metrics_token.clone(),
        };
        let address = settings.address();
        let listener = bind(&address).map_err(|error| StartupError::Bind {
            address: address.clone(),
            error,
        })?;
        let port = listener
            .local_addr()
            .map_err(|error| StartupError::Bind { address, error })?
            .port();
        let server = run(listener, state.clone(), &settings)?;
        Ok(Application {
            port,
            server,
            state,
            trigger,
            stop: Arc::new(Notify::new()),
            projections,
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
            state,
            trigger,
            stop,
            port,
            projections,
        } = self;
        let services = state.services.clone();
        let _repair = AbortOnDrop(tokio::spawn(async move {
            services.repair_projections().await;
        }));
        let handle = server.handle();
        let mut server = tokio::spawn(server);
        // Stopped after the server has drained, once its round under way is over (so what it read
        // is acknowledged); aborted if that takes too long, and then its unacknowledged entries
        // are claimed by another instance (or by this one after a restart).
        let (stop_projections, projections_stopped) = tokio::sync::oneshot::channel::<()>();
        let projections = projections.map(|consumer| {
            tracing::info!(
                consumer = consumer.name(),
                "consuming the projection stream"
            );
            AbortOnDrop(tokio::spawn(consumer.run_until(async move {
                let _ = projections_stopped.await;
            })))
        });
        // Turn clocks and computer players; it loads every game first, so deadlines that passed
        // while no instance ran fire now.
        let _scheduler = AbortOnDrop(tokio::spawn(
            state.services.scheduler.clone().run(std::future::pending()),
        ));
        tracing::info!(port, "caravan is serving");
        tokio::select! {
            result = &mut server => return result.map_err(std::io::Error::other)?,
            _ = os_signal() => tracing::info!("stop signal received"),
            _ = stop.notified() => tracing::info!("stop requested"),
        }
        // Long-lived connections first (WebSockets close with 1001), then drain HTTP.
        trigger.trigger();
        handle.stop(true).await;
        let served = server.await.map_err(std::io::Error::other)?;
        let _ = stop_projections.send(());
        if let Some(mut consumer) = projections {
            if tokio::time::timeout(PROJECTIONS_STOP_WAIT, &mut consumer.0)
                .await
                .is_err()
            {
                tracing::warn!(
                    "the projection consumer did not stop in time; its entries will be claimed"
                );
            }
        }
        // Read models held back (the embedded store's summaries); if this fails they are
        // projected again at the next start.
        if let Err(e) = state.services.projector.flush().await {
            tracing::warn!(error = %e, "cannot write the read models held back");
        }
        served
    }
}

/// How long a stopping server waits for its projection consumer to finish the round under way
/// (a read blocks for up to 2 s, then its entries are handled).
const PROJECTIONS_STOP_WAIT: Duration = Duration::from_secs(5);

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The HTTP server over `listener`.
fn run(
    listener: TcpListener,
    state: AppState,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let max_body = settings.server.max_body_bytes;
    let stall = stalled_connection_timeout(settings);
    let body_timeout = Duration::from_secs(settings.server.body_timeout_secs);
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            // Innermost: a known route asked with a method it does not take gets the error body.
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::METHOD_NOT_ALLOWED, http::method_not_allowed),
            )
            .wrap(from_fn(move |req, next| {
                http::body::guard_bodies(body_timeout, req, next)
            }))
            .wrap(from_fn(http::trace_requests))
            .app_data(data.clone())
            .configure(http::configure(max_body))
            .configure(websocket::routes)
            .default_service(web::to(http::not_found))
    })
    .disable_signals()
    .on_connect(move |connection, _| reset_when_stalled(connection, stall))
    // Without TCP_NODELAY, Nagle's algorithm holds each small WebSocket frame written while an
    // earlier one is unacknowledged until the client's delayed ACK (~40 ms): every event pushed to
    // a player who did not send the command waited for it.
    .tcp_nodelay(true)
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)
    .map_err(|e| StartupError::Adapter(format!("cannot start the HTTP server: {e}")))?
    .run();
    Ok(server)
}

/// How long a connection may leave the data sent to it unacknowledged, or its receive window
/// closed, before the kernel resets it: `WS_HEARTBEAT_SECS`, and at most half of
/// `SHUTDOWN_TIMEOUT_SECS` (at least one second).
///
/// A client that stops reading fills its buffers, then the server's; from then on nothing the
/// server does reaches it (not even a close frame) and actix waits for the socket for ever,
/// holding the connection's buffers and its session. The kernel's TCP user timeout ends that
/// wait: such a connection is reset within this time of its window closing, which stops its
/// session and frees everything it held; and a stopping server is not held up by it.
pub fn stalled_connection_timeout(settings: &Settings) -> Duration {
    let heartbeat = settings.websocket.heartbeat_secs;
    let half_shutdown = settings.server.shutdown_timeout_secs / 2;
    Duration::from_secs(heartbeat.min(half_shutdown).max(1))
}

/// Sets the TCP user timeout of an accepted connection (Linux; elsewhere stalled connections wait
/// for the shutdown timeout).
fn reset_when_stalled(connection: &dyn std::any::Any, timeout: Duration) {
    #[cfg(target_os = "linux")]
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Err(e) = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(timeout)) {
            tracing::warn!(error = %e, "cannot set the TCP user timeout of a connection");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (connection, timeout);
}

/// Connections the kernel completes and queues before the server accepts them (the kernel caps it
/// at `net.core.somaxconn`). The standard library's `TcpListener::bind` asks for 128: a thousand
/// clients reconnecting at once overflowed it, and each dropped handshake came back only after
/// the client's one-second SYN retry.
const LISTEN_BACKLOG: i32 = 4096;

/// A listening socket on `address` (`host:port`) with [`LISTEN_BACKLOG`], address reuse as the
/// standard library sets it; the first address the name resolves to that binds.
fn bind(address: &str) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;

    let mut last_error = None;
    for addr in address.to_socket_addrs()? {
        let attempt = (|| {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(LISTEN_BACKLOG)?;
            Ok::<TcpListener, std::io::Error>(socket.into())
        })();
        match attempt {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    }))
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
