//! Every setting, declared once: its field, variable, raw type, default, own rule and doc. Adding a
//! setting is one entry here (and its line in README.md and .env.example, which a test checks).
//! Defaults that are game rules come from the domain; the services' own defaults from the
//! application.

use std::fmt::Display;
use std::path::PathBuf;

use crate::application::commands::{
    DEFAULT_OUTCOME_WAIT_MS, DEFAULT_RETRIES, DEFAULT_TOKEN_TTL_SECS,
};
use crate::application::scheduler::{DEFAULT_BOT_THINKING_MS, DEFAULT_RESCAN_SECS};
use crate::application::DEFAULT_HOT_GAMES;
use crate::domain::rules::{
    DEFAULT_CARAVAN_CAPACITY, DEFAULT_TIMEOUTS_TO_FORFEIT, MAX_CARAVAN_CAPACITY, MAX_PLAYERS,
    MAX_TIMEOUTS_TO_FORFEIT, MAX_TURN_SECONDS, MIN_CARAVAN_CAPACITY, MIN_PLAYERS, MIN_TURN_SECONDS,
};

use super::declare::declare_settings;
use super::values::{AppEnv, EventBusKind, EventStoreKind, IpNet, LogFormat, Secret};
use super::DEFAULT_JWT_SECRET;

/// `HTTP_MAX_BODY_BYTES` when unset; also the JSON extractor's limit on a route mounted without
/// the configured one.
pub const DEFAULT_HTTP_MAX_BODY_BYTES: usize = 64 * 1024;

declare_settings! {
    /// All settings, validated and grouped by concern.
    pub struct Settings {
        top {
            /// `APP_ENV`.
            app_env: AppEnv = "APP_ENV" app_env: AppEnv = AppEnv::Development;
        }

        /// HTTP listener.
        server: ServerSettings {
            /// `SERVER_HOST`: interface to bind.
            host: String = "SERVER_HOST" server_host: String = "127.0.0.1".into(),
                check not_empty;
            /// `SERVER_PORT`: 0 picks a free port (tests).
            port: u16 = "SERVER_PORT" server_port: u16 = 8080;
            /// `SHUTDOWN_TIMEOUT_SECS`: how long in-flight requests may take to finish after SIGTERM.
            shutdown_timeout_secs: u64 = "SHUTDOWN_TIMEOUT_SECS" shutdown_timeout_secs: u64 = 10,
                check between_seconds(1, 600);
            /// `HTTP_MAX_BODY_BYTES`: JSON bodies above this are refused with 413.
            max_body_bytes: usize = "HTTP_MAX_BODY_BYTES" http_max_body_bytes: usize = DEFAULT_HTTP_MAX_BODY_BYTES,
                check between(1024, 16 * 1024 * 1024);
            /// `HTTP_BODY_TIMEOUT_SECS`: a request body not fully received this long after its
            /// headers is refused with 408 and its connection closed.
            body_timeout_secs: u64 = "HTTP_BODY_TIMEOUT_SECS" http_body_timeout_secs: u64 = 10,
                check between_seconds(1, 600);
        }

        /// Which adapters, and where their services are.
        storage: StorageSettings {
            /// `EVENT_STORE`.
            event_store: EventStoreKind = "EVENT_STORE" event_store: EventStoreKind =
                EventStoreKind::Embedded;
            /// `EVENT_BUS`.
            event_bus: EventBusKind = "EVENT_BUS" event_bus: EventBusKind = EventBusKind::Local;
            /// `DATA_DIR`: where `EVENT_STORE=embedded` keeps its files.
            data_dir: PathBuf = "DATA_DIR" data_dir: String = "./data".into(),
                check not_empty, into PathBuf::from, show |dir| dir.display().to_string();
            /// `MONGO_URI` (used when `EVENT_STORE=mongodb`).
            mongo_uri: Secret = "MONGO_URI" mongo_uri: String =
                "mongodb://127.0.0.1:27017/?directConnection=true".into(),
                check |uri| if uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://") {
                    Ok(())
                } else {
                    Err("must start with mongodb:// or mongodb+srv://".into())
                },
                into Secret::new;
            /// `MONGO_DB`.
            mongo_db: String = "MONGO_DB" mongo_db: String = "caravan".into(),
                check |db| if db.is_empty() || db.len() > 63 || db.contains(['/', '\\', '.', ' ', '"', '$']) {
                    Err(format!("must be 1–63 characters without / \\ . space \" $ (got {db:?})"))
                } else {
                    Ok(())
                };
            /// `REDIS_URL` (used when `EVENT_BUS=redis`).
            redis_url: Secret = "REDIS_URL" redis_url: String = "redis://127.0.0.1:6379".into(),
                check |url| if url.starts_with("redis://") || url.starts_with("rediss://") {
                    Ok(())
                } else {
                    Err("must start with redis:// or rediss://".into())
                },
                into Secret::new;
            /// `REDIS_KEY_PREFIX`: the start of every Redis key and channel, so that several
            /// deployments (or test runs) can share one Redis.
            redis_key_prefix: String = "REDIS_KEY_PREFIX" redis_key_prefix: String = "caravan".into(),
                check |prefix| if prefix.is_empty()
                    || prefix.len() > 64
                    || prefix.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    Err(format!("must be 1–64 characters without spaces (got {prefix:?})"))
                } else {
                    Ok(())
                };
        }

        /// Game rules that the server applies to new games, and the command handler's limits.
        game: GameSettings {
            /// `MAX_PLAYERS`: the largest `numPlayers` a new game may ask for (2–5).
            max_players: u8 = "MAX_PLAYERS" max_players: u8 = MAX_PLAYERS,
                check between(MIN_PLAYERS, MAX_PLAYERS);
            /// `CARAVAN_CAPACITY`: cubes a caravan may hold at the end of a turn, recorded in each
            /// new game.
            caravan_capacity: u16 = "CARAVAN_CAPACITY" caravan_capacity: u16 =
                DEFAULT_CARAVAN_CAPACITY,
                check between(MIN_CARAVAN_CAPACITY, MAX_CARAVAN_CAPACITY);
            /// `POINT_CARDS_TO_END`: claimed point cards that trigger the end; `None` = 6 for 2–3
            /// players, 5 for 4–5.
            point_cards_to_end: Option<u8> = "POINT_CARDS_TO_END" point_cards_to_end: Option<u8> = None,
                check between_or_unset(1, 20),
                show |n| n.map_or_else(|| "(unset: 6 for 2–3 players, 5 for 4–5)".into(), |n| n.to_string());
            /// `HOT_GAMES`: how many games' states are kept in memory between commands.
            hot_games: usize = "HOT_GAMES" hot_games: usize = DEFAULT_HOT_GAMES,
                check at_least_one;
            /// `COMMAND_RETRIES`: how often a command is decided again after losing an append race.
            command_retries: u32 = "COMMAND_RETRIES" command_retries: u32 = DEFAULT_RETRIES,
                check between(1, 100);
            /// `TURN_SECONDS`: the turn clock of games created without `turnSeconds` (10–86400);
            /// `None`: no clock.
            turn_seconds: Option<u32> = "TURN_SECONDS" turn_seconds: Option<u32> = None,
                check between_or_unset(MIN_TURN_SECONDS, MAX_TURN_SECONDS),
                show |n| n.map_or_else(|| "(unset: no turn clock)".into(), |n| n.to_string());
            /// `TIMEOUTS_TO_FORFEIT`: consecutive timeouts before a forfeit, for games that do not
            /// say (1–10).
            timeouts_to_forfeit: u8 = "TIMEOUTS_TO_FORFEIT" timeouts_to_forfeit: u8 =
                DEFAULT_TIMEOUTS_TO_FORFEIT,
                check between(1, MAX_TIMEOUTS_TO_FORFEIT);
            /// `BOT_THINKING_MS`: how long a computer player waits before its move (0–10000).
            bot_thinking_ms: u64 = "BOT_THINKING_MS" bot_thinking_ms: u64 = DEFAULT_BOT_THINKING_MS,
                check between(0, 10_000);
            /// `SCHEDULER_RESCAN_SECS`: how often an instance looks for running games whose next
            /// server move another (stopped) instance would have made (1–3600).
            scheduler_rescan_secs: u64 = "SCHEDULER_RESCAN_SECS" scheduler_rescan_secs: u64 =
                DEFAULT_RESCAN_SECS,
                check between(1, 3600);
            /// `WAITING_GAME_TIMEOUT_SECS`: a game whose seats are not all taken this long after
            /// its creation is closed (`GameEnded` with reason `expired`); 0 keeps waiting games
            /// open for ever.
            waiting_timeout_secs: u64 = "WAITING_GAME_TIMEOUT_SECS" waiting_game_timeout_secs: u64 = 1800,
                check |&secs| if secs > 30 * 24 * 3600 {
                    Err(format!("must be between 0 (never) and 2592000 (got {secs})"))
                } else {
                    Ok(())
                };
            /// `COMMAND_OUTCOME_WAIT_MS`: how long a command whose write went unanswered keeps
            /// asking the store what became of it before answering `outcome_unknown`.
            command_outcome_wait_ms: u64 = "COMMAND_OUTCOME_WAIT_MS" command_outcome_wait_ms: u64 =
                DEFAULT_OUTCOME_WAIT_MS,
                check between(100, 60_000);
        }

        /// Tokens.
        auth: AuthSettings {
            /// `JWT_SECRET`: HS256 key for player tokens.
            jwt_secret: Secret = "JWT_SECRET" jwt_secret: String = DEFAULT_JWT_SECRET.into(),
                check |secret| if secret.is_empty() {
                    Err("must not be empty".into())
                } else {
                    Ok(())
                },
                into Secret::new,
                show |secret| if secret.expose() == DEFAULT_JWT_SECRET {
                    "(default, development only)".into()
                } else {
                    secret.to_string()
                };
            /// `JWT_TTL_SECS`: lifetime of a player token.
            jwt_ttl_secs: u64 = "JWT_TTL_SECS" jwt_ttl_secs: u64 = DEFAULT_TOKEN_TTL_SECS,
                check between(60, 30 * 24 * 3600);
            /// `ADMIN_TOKEN`: bearer token for admin requests; `None` disables them.
            admin_token: Option<Secret> = "ADMIN_TOKEN" admin_token: Option<String> = None,
                check token, into optional_secret, show masked;
            /// `METRICS_TOKEN`: bearer token `/metrics` asks for; `None` leaves it open.
            metrics_token: Option<Secret> = "METRICS_TOKEN" metrics_token: Option<String> = None,
                check token, into optional_secret, show masked;
        }

        /// Logs.
        log: LogSettings {
            /// `LOG_LEVEL`: an `EnvFilter` directive such as `info` or
            /// `caravan=debug,actix_web=info`.
            level: String = "LOG_LEVEL" log_level: String = "info".into(),
                check |level| level
                    .parse::<tracing_subscriber::EnvFilter>()
                    .map(drop)
                    .map_err(|e| format!("{e} (got {level:?})"));
            /// `LOG_FORMAT`.
            format: LogFormat = "LOG_FORMAT" log_format: LogFormat = LogFormat::Pretty;
        }

        /// WebSocket limits.
        websocket: WebSocketSettings {
            /// `WS_MAX_FRAME_BYTES`: larger incoming frames are refused.
            max_frame_bytes: usize = "WS_MAX_FRAME_BYTES" ws_max_frame_bytes: usize = 64 * 1024,
                check between(256, 1024 * 1024);
            /// `WS_MAX_MESSAGES_PER_SEC`: incoming messages per second beyond this are refused.
            max_messages_per_sec: u32 = "WS_MAX_MESSAGES_PER_SEC" ws_max_messages_per_sec: u32 = 50,
                check at_least_one;
            /// `WS_OUTBOUND_QUEUE`: messages waiting for a slow reader before the connection is
            /// dropped.
            outbound_queue: usize = "WS_OUTBOUND_QUEUE" ws_outbound_queue: usize = 1024,
                check at_least_one;
            /// `WS_HEARTBEAT_SECS`: interval of server pings.
            heartbeat_secs: u64 = "WS_HEARTBEAT_SECS" ws_heartbeat_secs: u64 = 10,
                check at_least_one;
            /// `WS_CLIENT_TIMEOUT_SECS`: a connection silent for this long is dropped.
            client_timeout_secs: u64 = "WS_CLIENT_TIMEOUT_SECS" ws_client_timeout_secs: u64 = 30;
            /// `WS_OUTBOUND_QUEUE_BYTES`: bytes waiting for a slow reader before the connection is
            /// dropped.
            outbound_queue_bytes: usize = "WS_OUTBOUND_QUEUE_BYTES" ws_outbound_queue_bytes: usize =
                256 * 1024,
                check between(4096, 64 * 1024 * 1024);
            /// `WS_MAX_SPECTATORS_PER_GAME`: spectator connections one game may have on one server.
            max_spectators_per_game: usize = "WS_MAX_SPECTATORS_PER_GAME"
                ws_max_spectators_per_game: usize = 200,
                check between(0, 100_000);
        }

        /// Per-address limits and who may forward a client's address. Requests that carry the
        /// admin token are exempt from all of them.
        limits: LimitSettings {
            /// `TRUSTED_PROXIES`: addresses or CIDR blocks of reverse proxies whose
            /// `X-Forwarded-For` is believed; empty = the peer's address is the client's.
            trusted_proxies: Vec<IpNet> = "TRUSTED_PROXIES" trusted_proxies: String = String::new(),
                check |list| parse_proxies(list).map(drop),
                // unwrap_or_default: the check above refused any list that does not parse.
                into |list| parse_proxies(&list).unwrap_or_default(),
                show |nets| if nets.is_empty() {
                    "(none)".into()
                } else {
                    nets.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
                };
            /// `RATE_LIMIT_GAMES_PER_MIN`: games one address may create per minute (also the
            /// burst).
            games_per_min: u32 = "RATE_LIMIT_GAMES_PER_MIN" rate_limit_games_per_min: u32 = 10,
                check between(1, 1_000_000);
            /// `RATE_LIMIT_JOINS_PER_MIN`: seats one address may take per minute (also the burst).
            joins_per_min: u32 = "RATE_LIMIT_JOINS_PER_MIN" rate_limit_joins_per_min: u32 = 30,
                check between(1, 1_000_000);
            /// `WS_CONNECTIONS_PER_ADDRESS`: WebSockets one address may hold open at once.
            ws_connections_per_address: u32 = "WS_CONNECTIONS_PER_ADDRESS"
                ws_connections_per_address: u32 = 32,
                check between(1, 1_000_000);
            /// `ADMIN_AUTH_FAILURES_PER_MIN`: wrong admin or metrics tokens one address may
            /// present per minute; beyond it even the right one is refused until the allowance
            /// refills.
            admin_failures_per_min: u32 = "ADMIN_AUTH_FAILURES_PER_MIN"
                admin_auth_failures_per_min: u32 = 10,
                check between(1, 1_000_000);
        }
    }
}

impl AuthSettings {
    /// True when the built-in development secret is in use.
    pub fn uses_default_secret(&self) -> bool {
        self.jwt_secret.expose() == DEFAULT_JWT_SECRET
    }
}

/// `lo..=hi`.
fn between<T: PartialOrd + Display + Copy>(lo: T, hi: T) -> impl Fn(&T) -> Result<(), String> {
    move |v| {
        if (lo..=hi).contains(v) {
            Ok(())
        } else {
            Err(format!("must be between {lo} and {hi} (got {v})"))
        }
    }
}

/// `lo..=hi` seconds.
fn between_seconds(lo: u64, hi: u64) -> impl Fn(&u64) -> Result<(), String> {
    move |v| {
        if (lo..=hi).contains(v) {
            Ok(())
        } else {
            Err(format!("must be between {lo} and {hi} seconds (got {v})"))
        }
    }
}

/// `lo..=hi`, or unset.
fn between_or_unset<T: PartialOrd + Display + Copy>(
    lo: T,
    hi: T,
) -> impl Fn(&Option<T>) -> Result<(), String> {
    move |v| match v {
        Some(v) if !(lo..=hi).contains(v) => {
            Err(format!("must be between {lo} and {hi}, or unset (got {v})"))
        }
        _ => Ok(()),
    }
}

/// Not zero.
fn at_least_one<T: PartialEq + Default>(v: &T) -> Result<(), String> {
    if *v == T::default() {
        Err("must be at least 1".into())
    } else {
        Ok(())
    }
}

/// Not empty (nor only spaces).
fn not_empty<S: AsRef<str>>(v: &S) -> Result<(), String> {
    if v.as_ref().trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(())
    }
}

/// A bearer token: unset, empty (= unset) or at least 16 characters.
fn token(v: &Option<String>) -> Result<(), String> {
    match v {
        Some(t) if !t.is_empty() && t.len() < 16 => Err("must be at least 16 characters".into()),
        _ => Ok(()),
    }
}

/// An empty token counts as unset.
fn optional_secret(v: Option<String>) -> Option<Secret> {
    v.filter(|t| !t.is_empty()).map(Secret::new)
}

/// `***` when set, `(unset)` when not.
fn masked(v: &Option<Secret>) -> String {
    if v.is_some() { "***" } else { "(unset)" }.into()
}

/// A comma-separated list of addresses or CIDR blocks (empty items skipped).
fn parse_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            IpNet::parse(item).ok_or_else(|| {
                format!(
                    "{:?} is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1)",
                    item.trim()
                )
            })
        })
        .collect()
}
