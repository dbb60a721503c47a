//! Settings, loaded in layers: built-in defaults → an optional `caravan.toml` → environment variables.
//!
//! Every setting has one name: the environment variable (`SERVER_PORT`); the TOML file uses the same
//! name in lower case (`server_port = 8080`). The file is read from `$CARAVAN_CONFIG`, or `./caravan.toml`
//! when that variable is unset (a missing default file is fine; a missing explicit file is an error).
//!
//! Loading never panics: a value of the wrong type, out of range, or unsafe for production stops start-up
//! with a [`ConfigError`] whose message names the setting. This module must never log a secret: the
//! [`Secret`] type redacts itself in `Debug` and `Display`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

/// The JWT secret used when none is configured. Accepted in development only (with a warning);
/// `APP_ENV=production` refuses to start with it.
pub const DEFAULT_JWT_SECRET: &str = "caravan-development-secret-change-me-in-production";

/// Name of the variable that points at the TOML file.
pub const CONFIG_PATH_VAR: &str = "CARAVAN_CONFIG";

/// Default location of the TOML file, relative to the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "caravan.toml";

/// Every environment variable the server reads, with whether its value is text (never parsed as a number).
const SETTINGS: &[(&str, bool)] = &[
    ("APP_ENV", true),
    ("SERVER_HOST", true),
    ("SERVER_PORT", false),
    ("SHUTDOWN_TIMEOUT_SECS", false),
    ("HTTP_MAX_BODY_BYTES", false),
    ("EVENT_STORE", true),
    ("EVENT_BUS", true),
    ("DATA_DIR", true),
    ("MONGO_URI", true),
    ("MONGO_DB", true),
    ("REDIS_URL", true),
    ("REDIS_KEY_PREFIX", true),
    ("MAX_PLAYERS", false),
    ("CARAVAN_CAPACITY", false),
    ("POINT_CARDS_TO_END", false),
    ("HOT_GAMES", false),
    ("COMMAND_RETRIES", false),
    ("TURN_SECONDS", false),
    ("TIMEOUTS_TO_FORFEIT", false),
    ("BOT_THINKING_MS", false),
    ("SCHEDULER_RESCAN_SECS", false),
    ("COMMAND_OUTCOME_WAIT_MS", false),
    ("JWT_SECRET", true),
    ("JWT_TTL_SECS", false),
    ("ADMIN_TOKEN", true),
    ("LOG_LEVEL", true),
    ("LOG_FORMAT", true),
    ("WS_MAX_FRAME_BYTES", false),
    ("WS_MAX_MESSAGES_PER_SEC", false),
    ("WS_OUTBOUND_QUEUE", false),
    ("WS_HEARTBEAT_SECS", false),
    ("WS_CLIENT_TIMEOUT_SECS", false),
    ("WS_OUTBOUND_QUEUE_BYTES", false),
    ("WS_MAX_SPECTATORS_PER_GAME", false),
    ("WAITING_GAME_TIMEOUT_SECS", false),
    ("HTTP_BODY_TIMEOUT_SECS", false),
    ("TRUSTED_PROXIES", true),
    ("RATE_LIMIT_GAMES_PER_MIN", false),
    ("RATE_LIMIT_JOINS_PER_MIN", false),
    ("WS_CONNECTIONS_PER_ADDRESS", false),
    ("ADMIN_AUTH_FAILURES_PER_MIN", false),
    ("METRICS_TOKEN", true),
];

/// Why the settings could not be loaded. The message always names the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value could not be read as the setting's type (or the file is not valid TOML).
    #[error("invalid configuration: {0}")]
    Malformed(String),
    /// A value was read but is not acceptable.
    #[error("invalid configuration: {setting}: {message}")]
    Invalid {
        /// The environment variable's name (the TOML key is the same in lower case).
        setting: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// `CARAVAN_CONFIG` names a file that cannot be read.
    #[error("invalid configuration: {CONFIG_PATH_VAR}: cannot read {path}: {reason}")]
    File {
        /// The path that was given.
        path: String,
        /// The I/O error.
        reason: String,
    },
}

/// Where settings come from. [`ConfigSources::from_process`] is what `main` uses; tests build one by hand
/// so they never touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// The TOML file; `None` means "no file at all".
    pub file: Option<PathBuf>,
    /// Whether a missing `file` is an error (true when the path was given explicitly).
    pub file_required: bool,
    /// Environment variables (name, value); names not in the settings table are ignored.
    pub env: Vec<(String, String)>,
}

impl ConfigSources {
    /// The process environment, and the file named by `CARAVAN_CONFIG` (default `./caravan.toml`, optional).
    pub fn from_process() -> Self {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_env(env)
    }

    /// Like [`ConfigSources::from_process`] but over the given variables.
    pub fn from_env(env: Vec<(String, String)>) -> Self {
        let explicit = env
            .iter()
            .find(|(k, v)| k == CONFIG_PATH_VAR && !v.trim().is_empty())
            .map(|(_, v)| PathBuf::from(v));
        let file_required = explicit.is_some();
        let file = explicit.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        Self {
            file: Some(file),
            file_required,
            env,
        }
    }
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    /// Local work: the default JWT secret is allowed (with a warning).
    Development,
    /// Real players: unsafe defaults are refused.
    Production,
}

/// Which event store adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStoreKind {
    /// In-process, lost at exit; needs no other service.
    Memory,
    /// MongoDB at `MONGO_URI`.
    Mongodb,
    /// SQLite files under `DATA_DIR`, in this process: durable, one instance only.
    Embedded,
}

/// Which event bus adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventBusKind {
    /// In-process broadcast channels: one instance only.
    Local,
    /// Redis pub/sub at `REDIS_URL`, for several instances.
    Redis,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// A value that must never be printed (JWT secret, admin token).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: only for the code that signs or compares with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// All settings, validated and grouped by concern.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `APP_ENV`.
    pub app_env: AppEnv,
    /// HTTP listener.
    pub server: ServerSettings,
    /// Which adapters, and where their services are.
    pub storage: StorageSettings,
    /// Game rules that the server applies to new games, and the command handler's limits.
    pub game: GameSettings,
    /// Tokens.
    pub auth: AuthSettings,
    /// Logs.
    pub log: LogSettings,
    /// WebSocket limits.
    pub websocket: WebSocketSettings,
    /// Per-address limits and who may forward a client's address.
    pub limits: LimitSettings,
}

/// HTTP listener settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `SERVER_HOST`: interface to bind.
    pub host: String,
    /// `SERVER_PORT`: 0 picks a free port (tests).
    pub port: u16,
    /// `SHUTDOWN_TIMEOUT_SECS`: how long in-flight requests may take to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// `HTTP_MAX_BODY_BYTES`: JSON bodies above this are refused with 413.
    pub max_body_bytes: usize,
    /// `HTTP_BODY_TIMEOUT_SECS`: a request body not fully received this long after its headers is
    /// refused with 408 and its connection closed.
    pub body_timeout_secs: u64,
}

/// Adapter choice and service addresses.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// `EVENT_STORE`.
    pub event_store: EventStoreKind,
    /// `EVENT_BUS`.
    pub event_bus: EventBusKind,
    /// `DATA_DIR`: where `EVENT_STORE=embedded` keeps its files.
    pub data_dir: PathBuf,
    /// `MONGO_URI` (used when `EVENT_STORE=mongodb`).
    pub mongo_uri: Secret,
    /// `MONGO_DB`.
    pub mongo_db: String,
    /// `REDIS_URL` (used when `EVENT_BUS=redis`).
    pub redis_url: Secret,
    /// `REDIS_KEY_PREFIX`: the start of every Redis key and channel, so that several deployments
    /// (or test runs) can share one Redis.
    pub redis_key_prefix: String,
}

/// Rules for new games and command-handling limits.
#[derive(Debug, Clone)]
pub struct GameSettings {
    /// `MAX_PLAYERS`: the largest `numPlayers` a new game may ask for (2–5).
    pub max_players: u8,
    /// `CARAVAN_CAPACITY`: cubes a caravan may hold at the end of a turn, recorded in each new game.
    pub caravan_capacity: u16,
    /// `POINT_CARDS_TO_END`: claimed point cards that trigger the end; `None` = 6 for 2–3 players, 5 for 4–5.
    pub point_cards_to_end: Option<u8>,
    /// `HOT_GAMES`: how many games' states are kept in memory between commands.
    pub hot_games: usize,
    /// `COMMAND_RETRIES`: how often a command is decided again after losing an append race.
    pub command_retries: u32,
    /// `TURN_SECONDS`: the turn clock of games created without `turnSeconds` (10–86400); `None`:
    /// no clock.
    pub turn_seconds: Option<u32>,
    /// `TIMEOUTS_TO_FORFEIT`: consecutive timeouts before a forfeit, for games that do not say (1–10).
    pub timeouts_to_forfeit: u8,
    /// `BOT_THINKING_MS`: how long a computer player waits before its move (0–10000).
    pub bot_thinking_ms: u64,
    /// `SCHEDULER_RESCAN_SECS`: how often an instance looks for running games whose next server
    /// move another (stopped) instance would have made (1–3600).
    pub scheduler_rescan_secs: u64,
    /// `WAITING_GAME_TIMEOUT_SECS`: a game whose seats are not all taken this long after its
    /// creation is closed (`GameEnded` with reason `expired`); 0 keeps waiting games open for ever.
    pub waiting_timeout_secs: u64,
    /// `COMMAND_OUTCOME_WAIT_MS`: how long a command whose write went unanswered keeps asking the
    /// store what became of it before answering `outcome_unknown`.
    pub command_outcome_wait_ms: u64,
}

/// Token settings.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `JWT_SECRET`: HS256 key for player tokens.
    pub jwt_secret: Secret,
    /// `JWT_TTL_SECS`: lifetime of a player token.
    pub jwt_ttl_secs: u64,
    /// `ADMIN_TOKEN`: bearer token for admin requests; `None` disables them.
    pub admin_token: Option<Secret>,
    /// `METRICS_TOKEN`: bearer token `/metrics` asks for; `None` leaves it open.
    pub metrics_token: Option<Secret>,
}

impl AuthSettings {
    /// True when the built-in development secret is in use.
    pub fn uses_default_secret(&self) -> bool {
        self.jwt_secret.expose() == DEFAULT_JWT_SECRET
    }
}

/// Log settings.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `LOG_LEVEL`: an `EnvFilter` directive such as `info` or `caravan=debug,actix_web=info`.
    pub level: String,
    /// `LOG_FORMAT`.
    pub format: LogFormat,
}

/// WebSocket limits, enforced per connection.
#[derive(Debug, Clone)]
pub struct WebSocketSettings {
    /// `WS_MAX_FRAME_BYTES`: larger incoming frames are refused.
    pub max_frame_bytes: usize,
    /// `WS_MAX_MESSAGES_PER_SEC`: incoming messages per second beyond this are refused.
    pub max_messages_per_sec: u32,
    /// `WS_OUTBOUND_QUEUE`: messages waiting for a slow reader before the connection is dropped.
    pub outbound_queue: usize,
    /// `WS_HEARTBEAT_SECS`: interval of server pings.
    pub heartbeat_secs: u64,
    /// `WS_CLIENT_TIMEOUT_SECS`: a connection silent for this long is dropped.
    pub client_timeout_secs: u64,
    /// `WS_OUTBOUND_QUEUE_BYTES`: bytes waiting for a slow reader before the connection is dropped.
    pub outbound_queue_bytes: usize,
    /// `WS_MAX_SPECTATORS_PER_GAME`: spectator connections one game may have on one server.
    pub max_spectators_per_game: usize,
}

/// Per-client-address limits. Requests that carry the admin token are exempt from all of them.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// `TRUSTED_PROXIES`: addresses or CIDR blocks of reverse proxies whose `X-Forwarded-For` is
    /// believed; empty = the peer's address is the client's.
    pub trusted_proxies: Vec<IpNet>,
    /// `RATE_LIMIT_GAMES_PER_MIN`: games one address may create per minute (also the burst).
    pub games_per_min: u32,
    /// `RATE_LIMIT_JOINS_PER_MIN`: seats one address may take per minute (also the burst).
    pub joins_per_min: u32,
    /// `WS_CONNECTIONS_PER_ADDRESS`: WebSockets one address may hold open at once.
    pub ws_connections_per_address: u32,
    /// `ADMIN_AUTH_FAILURES_PER_MIN`: wrong admin or metrics tokens one address may present per
    /// minute; beyond it even the right one is refused until the allowance refills.
    pub admin_failures_per_min: u32,
}

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`.
    pub fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; any other address unchanged.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether binding `host` only accepts connections from this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| canonical_ip(ip).is_loopback())
}

/// The flat form that figment fills: one field per setting, named like the variable in lower case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    app_env: AppEnv,
    server_host: String,
    server_port: u16,
    shutdown_timeout_secs: u64,
    http_max_body_bytes: usize,
    event_store: EventStoreKind,
    event_bus: EventBusKind,
    data_dir: String,
    mongo_uri: String,
    mongo_db: String,
    redis_url: String,
    redis_key_prefix: String,
    max_players: u8,
    caravan_capacity: u16,
    point_cards_to_end: Option<u8>,
    hot_games: usize,
    command_retries: u32,
    turn_seconds: Option<u32>,
    timeouts_to_forfeit: u8,
    bot_thinking_ms: u64,
    scheduler_rescan_secs: u64,
    command_outcome_wait_ms: u64,
    jwt_secret: String,
    jwt_ttl_secs: u64,
    admin_token: Option<String>,
    log_level: String,
    log_format: LogFormat,
    ws_max_frame_bytes: usize,
    ws_max_messages_per_sec: u32,
    ws_outbound_queue: usize,
    ws_heartbeat_secs: u64,
    ws_client_timeout_secs: u64,
    ws_outbound_queue_bytes: usize,
    ws_max_spectators_per_game: usize,
    waiting_game_timeout_secs: u64,
    http_body_timeout_secs: u64,
    trusted_proxies: String,
    rate_limit_games_per_min: u32,
    rate_limit_joins_per_min: u32,
    ws_connections_per_address: u32,
    admin_auth_failures_per_min: u32,
    metrics_token: Option<String>,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            app_env: AppEnv::Development,
            server_host: "127.0.0.1".into(),
            server_port: 8080,
            shutdown_timeout_secs: 10,
            http_max_body_bytes: 64 * 1024,
            event_store: EventStoreKind::Embedded,
            event_bus: EventBusKind::Local,
            data_dir: "./data".into(),
            mongo_uri: "mongodb://127.0.0.1:27017/?directConnection=true".into(),
            mongo_db: "caravan".into(),
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_key_prefix: "caravan".into(),
            max_players: 5,
            caravan_capacity: 10,
            point_cards_to_end: None,
            hot_games: 10_000,
            command_retries: 5,
            turn_seconds: None,
            timeouts_to_forfeit: 3,
            bot_thinking_ms: 700,
            scheduler_rescan_secs: 10,
            command_outcome_wait_ms: 5000,
            jwt_secret: DEFAULT_JWT_SECRET.into(),
            jwt_ttl_secs: 24 * 3600,
            admin_token: None,
            log_level: "info".into(),
            log_format: LogFormat::Pretty,
            ws_max_frame_bytes: 64 * 1024,
            ws_max_messages_per_sec: 50,
            ws_outbound_queue: 1024,
            ws_heartbeat_secs: 10,
            ws_client_timeout_secs: 30,
            ws_outbound_queue_bytes: 256 * 1024,
            ws_max_spectators_per_game: 200,
            waiting_game_timeout_secs: 1800,
            http_body_timeout_secs: 10,
            trusted_proxies: String::new(),
            rate_limit_games_per_min: 10,
            rate_limit_joins_per_min: 30,
            ws_connections_per_address: 32,
            admin_auth_failures_per_min: 10,
            metrics_token: None,
        }
    }
}

/// Environment variables as a figment provider: only the names in [`SETTINGS`], empty values ignored,
/// text settings kept as text (so `JWT_SECRET=12345` stays a string).
struct EnvVars(Vec<(String, String)>);

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable(s)")
            .interpolater(|_, keys| keys.join(".").to_uppercase())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (name, value) in &self.0 {
            let Some(&(known, is_text)) = SETTINGS.iter().find(|(n, _)| n == name) else {
                continue;
            };
            let trimmed = value.trim();
            if trimmed.is_empty() {
                continue;
            }
            let value = if is_text {
                Value::from(trimmed.to_string())
            } else {
                // Infallible: anything that is not a number, bool… parses as a string.
                trimmed
                    .parse::<Value>()
                    .unwrap_or_else(|_| Value::from(trimmed.to_string()))
            };
            dict.insert(known.to_lowercase(), value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

impl Settings {
    /// Loads from the process environment and the optional file; see the module docs.
    pub fn load() -> Result<Settings, ConfigError> {
        Self::load_from(&ConfigSources::from_process())
    }

    /// Loads from the given sources: defaults, then the file, then the variables.
    pub fn load_from(sources: &ConfigSources) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(path) = &sources.file {
            if path.exists() {
                std::fs::metadata(path).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                figment = figment.merge(Toml::file_exact(path));
            } else if sources.file_required {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    reason: "no such file".into(),
                });
            }
        }
        figment = figment.merge(EnvVars(sources.env.clone()));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError::Malformed(describe(e)))?;
        Self::from_raw(raw)
    }

    /// Settings for tests: defaults, port 0, quiet logs, the memory store (nothing on disk), and
    /// per-address limits far above what a functional test does from its one address (the
    /// limits' own tests set them back).
    pub fn for_tests() -> Settings {
        let raw = RawSettings {
            server_port: 0,
            event_store: EventStoreKind::Memory,
            log_level: "warn".into(),
            rate_limit_games_per_min: 1_000_000,
            rate_limit_joins_per_min: 1_000_000,
            ws_connections_per_address: 1_000_000,
            ..RawSettings::default()
        };
        // unwrap: the defaults are valid, and a test checks it (`defaults_are_valid`).
        Self::from_raw(raw).expect("default settings are valid")
    }

    fn from_raw(raw: RawSettings) -> Result<Settings, ConfigError> {
        let invalid =
            |setting: &'static str, message: String| ConfigError::Invalid { setting, message };

        if raw.server_host.trim().is_empty() {
            return Err(invalid("SERVER_HOST", "must not be empty".into()));
        }
        if raw.shutdown_timeout_secs == 0 || raw.shutdown_timeout_secs > 600 {
            return Err(invalid(
                "SHUTDOWN_TIMEOUT_SECS",
                format!(
                    "must be between 1 and 600 seconds (got {})",
                    raw.shutdown_timeout_secs
                ),
            ));
        }
        if !(1024..=16 * 1024 * 1024).contains(&raw.http_max_body_bytes) {
            return Err(invalid(
                "HTTP_MAX_BODY_BYTES",
                format!(
                    "must be between 1024 and 16777216 (got {})",
                    raw.http_max_body_bytes
                ),
            ));
        }
        if raw.data_dir.trim().is_empty() {
            return Err(invalid("DATA_DIR", "must not be empty".into()));
        }
        if raw.event_store == EventStoreKind::Embedded && raw.event_bus == EventBusKind::Redis {
            return Err(invalid(
                "EVENT_BUS",
                "EVENT_BUS=redis is for several instances, and EVENT_STORE=embedded keeps the games in this one process's files: use EVENT_BUS=local with EVENT_STORE=embedded, or EVENT_STORE=mongodb for several instances".into(),
            ));
        }
        if !(raw.mongo_uri.starts_with("mongodb://") || raw.mongo_uri.starts_with("mongodb+srv://"))
        {
            return Err(invalid(
                "MONGO_URI",
                "must start with mongodb:// or mongodb+srv://".into(),
            ));
        }
        if raw.mongo_db.is_empty()
            || raw.mongo_db.len() > 63
            || raw.mongo_db.contains(['/', '\\', '.', ' ', '"', '$'])
        {
            return Err(invalid(
                "MONGO_DB",
                format!(
                    "must be 1–63 characters without / \\ . space \" $ (got {:?})",
                    raw.mongo_db
                ),
            ));
        }
        if raw.redis_key_prefix.is_empty()
            || raw.redis_key_prefix.len() > 64
            || raw
                .redis_key_prefix
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid(
                "REDIS_KEY_PREFIX",
                format!(
                    "must be 1–64 characters without spaces (got {:?})",
                    raw.redis_key_prefix
                ),
            ));
        }
        if !(raw.redis_url.starts_with("redis://") || raw.redis_url.starts_with("rediss://")) {
            return Err(invalid(
                "REDIS_URL",
                "must start with redis:// or rediss://".into(),
            ));
        }
        if !(2..=5).contains(&raw.max_players) {
            return Err(invalid(
                "MAX_PLAYERS",
                format!("must be between 2 and 5 (got {})", raw.max_players),
            ));
        }
        if !(4..=100).contains(&raw.caravan_capacity) {
            return Err(invalid(
                "CARAVAN_CAPACITY",
                format!("must be between 4 and 100 (got {})", raw.caravan_capacity),
            ));
        }
        if let Some(n) = raw.point_cards_to_end {
            if !(1..=20).contains(&n) {
                return Err(invalid(
                    "POINT_CARDS_TO_END",
                    format!("must be between 1 and 20, or unset (got {n})"),
                ));
            }
        }
        if let Some(n) = raw.turn_seconds {
            if !(10..=86_400).contains(&n) {
                return Err(invalid(
                    "TURN_SECONDS",
                    format!("must be between 10 and 86400, or unset (got {n})"),
                ));
            }
        }
        if !(1..=10).contains(&raw.timeouts_to_forfeit) {
            return Err(invalid(
                "TIMEOUTS_TO_FORFEIT",
                format!("must be between 1 and 10 (got {})", raw.timeouts_to_forfeit),
            ));
        }
        if raw.bot_thinking_ms > 10_000 {
            return Err(invalid(
                "BOT_THINKING_MS",
                format!("must be between 0 and 10000 (got {})", raw.bot_thinking_ms),
            ));
        }
        if !(1..=3600).contains(&raw.scheduler_rescan_secs) {
            return Err(invalid(
                "SCHEDULER_RESCAN_SECS",
                format!(
                    "must be between 1 and 3600 (got {})",
                    raw.scheduler_rescan_secs
                ),
            ));
        }
        if raw.hot_games == 0 {
            return Err(invalid("HOT_GAMES", "must be at least 1".into()));
        }
        if !(1..=100).contains(&raw.command_retries) {
            return Err(invalid(
                "COMMAND_RETRIES",
                format!("must be between 1 and 100 (got {})", raw.command_retries),
            ));
        }
        if !(100..=60_000).contains(&raw.command_outcome_wait_ms) {
            return Err(invalid(
                "COMMAND_OUTCOME_WAIT_MS",
                format!(
                    "must be between 100 and 60000 (got {})",
                    raw.command_outcome_wait_ms
                ),
            ));
        }
        if raw.jwt_secret.is_empty() {
            return Err(invalid("JWT_SECRET", "must not be empty".into()));
        }
        // Anyone who can reach a non-loopback listener can forge tokens signed with a public or
        // guessable secret, whatever APP_ENV says.
        let public = !is_loopback_host(&raw.server_host);
        if raw.app_env == AppEnv::Production || public {
            let why = if raw.app_env == AppEnv::Production {
                "with APP_ENV=production".to_string()
            } else {
                format!(
                    "when SERVER_HOST ({}) is not a loopback address",
                    raw.server_host
                )
            };
            if raw.jwt_secret == DEFAULT_JWT_SECRET {
                return Err(invalid(
                    "JWT_SECRET",
                    format!("the built-in development secret is refused {why}; set a random secret of at least 32 bytes (openssl rand -hex 32)"),
                ));
            }
            if raw.jwt_secret.len() < 32 {
                return Err(invalid(
                    "JWT_SECRET",
                    format!("must be at least 32 bytes {why}"),
                ));
            }
        }
        if !(60..=30 * 24 * 3600).contains(&raw.jwt_ttl_secs) {
            return Err(invalid(
                "JWT_TTL_SECS",
                format!("must be between 60 and 2592000 (got {})", raw.jwt_ttl_secs),
            ));
        }
        let admin_token = raw.admin_token.filter(|t| !t.is_empty());
        if let Some(token) = &admin_token {
            if token.len() < 16 {
                return Err(invalid(
                    "ADMIN_TOKEN",
                    "must be at least 16 characters".into(),
                ));
            }
        }
        let metrics_token = raw.metrics_token.filter(|t| !t.is_empty());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(invalid(
                "METRICS_TOKEN",
                "must be at least 16 characters".into(),
            ));
        }
        if !(1..=600).contains(&raw.http_body_timeout_secs) {
            return Err(invalid(
                "HTTP_BODY_TIMEOUT_SECS",
                format!(
                    "must be between 1 and 600 seconds (got {})",
                    raw.http_body_timeout_secs
                ),
            ));
        }
        let mut trusted_proxies = Vec::new();
        for item in raw
            .trusted_proxies
            .split(',')
            .filter(|i| !i.trim().is_empty())
        {
            trusted_proxies.push(IpNet::parse(item).ok_or_else(|| {
                invalid(
                    "TRUSTED_PROXIES",
                    format!(
                        "{:?} is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1)",
                        item.trim()
                    ),
                )
            })?);
        }
        for (setting, value) in [
            ("RATE_LIMIT_GAMES_PER_MIN", raw.rate_limit_games_per_min),
            ("RATE_LIMIT_JOINS_PER_MIN", raw.rate_limit_joins_per_min),
            ("WS_CONNECTIONS_PER_ADDRESS", raw.ws_connections_per_address),
            (
                "ADMIN_AUTH_FAILURES_PER_MIN",
                raw.admin_auth_failures_per_min,
            ),
        ] {
            if !(1..=1_000_000).contains(&value) {
                return Err(invalid(
                    setting,
                    format!("must be between 1 and 1000000 (got {value})"),
                ));
            }
        }
        if let Err(e) = raw.log_level.parse::<tracing_subscriber::EnvFilter>() {
            return Err(invalid(
                "LOG_LEVEL",
                format!("{e} (got {:?})", raw.log_level),
            ));
        }
        if !(256..=1024 * 1024).contains(&raw.ws_max_frame_bytes) {
            return Err(invalid(
                "WS_MAX_FRAME_BYTES",
                format!(
                    "must be between 256 and 1048576 (got {})",
                    raw.ws_max_frame_bytes
                ),
            ));
        }
        if raw.ws_max_messages_per_sec == 0 {
            return Err(invalid(
                "WS_MAX_MESSAGES_PER_SEC",
                "must be at least 1".into(),
            ));
        }
        if raw.ws_outbound_queue == 0 {
            return Err(invalid("WS_OUTBOUND_QUEUE", "must be at least 1".into()));
        }
        if raw.ws_heartbeat_secs == 0 {
            return Err(invalid("WS_HEARTBEAT_SECS", "must be at least 1".into()));
        }
        if raw.ws_client_timeout_secs <= raw.ws_heartbeat_secs {
            return Err(invalid(
                "WS_CLIENT_TIMEOUT_SECS",
                format!(
                    "must be longer than WS_HEARTBEAT_SECS ({} ≤ {})",
                    raw.ws_client_timeout_secs, raw.ws_heartbeat_secs
                ),
            ));
        }
        if !(4096..=64 * 1024 * 1024).contains(&raw.ws_outbound_queue_bytes) {
            return Err(invalid(
                "WS_OUTBOUND_QUEUE_BYTES",
                format!(
                    "must be between 4096 and 67108864 (got {})",
                    raw.ws_outbound_queue_bytes
                ),
            ));
        }
        if raw.ws_max_spectators_per_game > 100_000 {
            return Err(invalid(
                "WS_MAX_SPECTATORS_PER_GAME",
                format!(
                    "must be between 0 and 100000 (got {})",
                    raw.ws_max_spectators_per_game
                ),
            ));
        }
        if raw.waiting_game_timeout_secs > 30 * 24 * 3600 {
            return Err(invalid(
                "WAITING_GAME_TIMEOUT_SECS",
                format!(
                    "must be between 0 (never) and 2592000 (got {})",
                    raw.waiting_game_timeout_secs
                ),
            ));
        }

        Ok(Settings {
            app_env: raw.app_env,
            server: ServerSettings {
                host: raw.server_host,
                port: raw.server_port,
                shutdown_timeout_secs: raw.shutdown_timeout_secs,
                max_body_bytes: raw.http_max_body_bytes,
                body_timeout_secs: raw.http_body_timeout_secs,
            },
            storage: StorageSettings {
                event_store: raw.event_store,
                event_bus: raw.event_bus,
                data_dir: PathBuf::from(raw.data_dir),
                mongo_uri: Secret(raw.mongo_uri),
                mongo_db: raw.mongo_db,
                redis_url: Secret(raw.redis_url),
                redis_key_prefix: raw.redis_key_prefix,
            },
            game: GameSettings {
                max_players: raw.max_players,
                caravan_capacity: raw.caravan_capacity,
                point_cards_to_end: raw.point_cards_to_end,
                hot_games: raw.hot_games,
                command_retries: raw.command_retries,
                turn_seconds: raw.turn_seconds,
                timeouts_to_forfeit: raw.timeouts_to_forfeit,
                bot_thinking_ms: raw.bot_thinking_ms,
                scheduler_rescan_secs: raw.scheduler_rescan_secs,
                waiting_timeout_secs: raw.waiting_game_timeout_secs,
                command_outcome_wait_ms: raw.command_outcome_wait_ms,
            },
            auth: AuthSettings {
                jwt_secret: Secret(raw.jwt_secret),
                jwt_ttl_secs: raw.jwt_ttl_secs,
                admin_token: admin_token.map(Secret),
                metrics_token: metrics_token.map(Secret),
            },
            log: LogSettings {
                level: raw.log_level,
                format: raw.log_format,
            },
            websocket: WebSocketSettings {
                max_frame_bytes: raw.ws_max_frame_bytes,
                max_messages_per_sec: raw.ws_max_messages_per_sec,
                outbound_queue: raw.ws_outbound_queue,
                heartbeat_secs: raw.ws_heartbeat_secs,
                client_timeout_secs: raw.ws_client_timeout_secs,
                outbound_queue_bytes: raw.ws_outbound_queue_bytes,
                max_spectators_per_game: raw.ws_max_spectators_per_game,
            },
            limits: LimitSettings {
                trusted_proxies,
                games_per_min: raw.rate_limit_games_per_min,
                joins_per_min: raw.rate_limit_joins_per_min,
                ws_connections_per_address: raw.ws_connections_per_address,
                admin_failures_per_min: raw.admin_auth_failures_per_min,
            },
        })
    }

    /// The address to bind, `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// A printable summary with secrets masked (for `caravan config` and the start-up log).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let masked = |set: bool| if set { "***" } else { "(unset)" }.to_string();
        vec![
            ("APP_ENV", format!("{:?}", self.app_env).to_lowercase()),
            ("SERVER_HOST", self.server.host.clone()),
            ("SERVER_PORT", self.server.port.to_string()),
            (
                "SHUTDOWN_TIMEOUT_SECS",
                self.server.shutdown_timeout_secs.to_string(),
            ),
            (
                "HTTP_MAX_BODY_BYTES",
                self.server.max_body_bytes.to_string(),
            ),
            (
                "EVENT_STORE",
                format!("{:?}", self.storage.event_store).to_lowercase(),
            ),
            (
                "EVENT_BUS",
                format!("{:?}", self.storage.event_bus).to_lowercase(),
            ),
            ("DATA_DIR", self.storage.data_dir.display().to_string()),
            ("MONGO_URI", masked(true)),
            ("MONGO_DB", self.storage.mongo_db.clone()),
            ("REDIS_URL", masked(true)),
            ("REDIS_KEY_PREFIX", self.storage.redis_key_prefix.clone()),
            ("MAX_PLAYERS", self.game.max_players.to_string()),
            ("CARAVAN_CAPACITY", self.game.caravan_capacity.to_string()),
            (
                "POINT_CARDS_TO_END",
                self.game.point_cards_to_end.map_or_else(
                    || "(unset: 6 for 2–3 players, 5 for 4–5)".into(),
                    |n| n.to_string(),
                ),
            ),
            ("HOT_GAMES", self.game.hot_games.to_string()),
            ("COMMAND_RETRIES", self.game.command_retries.to_string()),
            (
                "TURN_SECONDS",
                self.game
                    .turn_seconds
                    .map_or_else(|| "(unset: no turn clock)".into(), |n| n.to_string()),
            ),
            (
                "TIMEOUTS_TO_FORFEIT",
                self.game.timeouts_to_forfeit.to_string(),
            ),
            ("BOT_THINKING_MS", self.game.bot_thinking_ms.to_string()),
            (
                "SCHEDULER_RESCAN_SECS",
                self.game.scheduler_rescan_secs.to_string(),
            ),
            (
                "COMMAND_OUTCOME_WAIT_MS",
                self.game.command_outcome_wait_ms.to_string(),
            ),
            (
                "JWT_SECRET",
                if self.auth.uses_default_secret() {
                    "(default, development only)".into()
                } else {
                    masked(true)
                },
            ),
            ("JWT_TTL_SECS", self.auth.jwt_ttl_secs.to_string()),
            ("ADMIN_TOKEN", masked(self.auth.admin_token.is_some())),
            ("LOG_LEVEL", self.log.level.clone()),
            (
                "LOG_FORMAT",
                format!("{:?}", self.log.format).to_lowercase(),
            ),
            (
                "WS_MAX_FRAME_BYTES",
                self.websocket.max_frame_bytes.to_string(),
            ),
            (
                "WS_MAX_MESSAGES_PER_SEC",
                self.websocket.max_messages_per_sec.to_string(),
            ),
            (
                "WS_OUTBOUND_QUEUE",
                self.websocket.outbound_queue.to_string(),
            ),
            (
                "WS_HEARTBEAT_SECS",
                self.websocket.heartbeat_secs.to_string(),
            ),
            (
                "WS_CLIENT_TIMEOUT_SECS",
                self.websocket.client_timeout_secs.to_string(),
            ),
            (
                "WS_OUTBOUND_QUEUE_BYTES",
                self.websocket.outbound_queue_bytes.to_string(),
            ),
            (
                "WS_MAX_SPECTATORS_PER_GAME",
                self.websocket.max_spectators_per_game.to_string(),
            ),
            (
                "WAITING_GAME_TIMEOUT_SECS",
                self.game.waiting_timeout_secs.to_string(),
            ),
            (
                "HTTP_BODY_TIMEOUT_SECS",
                self.server.body_timeout_secs.to_string(),
            ),
            (
                "TRUSTED_PROXIES",
                if self.limits.trusted_proxies.is_empty() {
                    "(none)".into()
                } else {
                    self.limits
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                },
            ),
            (
                "RATE_LIMIT_GAMES_PER_MIN",
                self.limits.games_per_min.to_string(),
            ),
            (
                "RATE_LIMIT_JOINS_PER_MIN",
                self.limits.joins_per_min.to_string(),
            ),
            (
                "WS_CONNECTIONS_PER_ADDRESS",
                self.limits.ws_connections_per_address.to_string(),
            ),
            (
                "ADMIN_AUTH_FAILURES_PER_MIN",
                self.limits.admin_failures_per_min.to_string(),
            ),
            ("METRICS_TOKEN", masked(self.auth.metrics_token.is_some())),
        ]
    }
}

/// Turns a figment error into one line that names the variable (`SERVER_PORT`) and where the value came from.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let setting = e.path.last().map(|k| k.to_uppercase());
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_else(|| "defaults".into());
            match setting {
                Some(setting) => format!("{setting} (from {source}): {}", e.kind),
                None => format!("{} (from {source})", e.kind),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ConfigSources {
        ConfigSources {
            file: None,
            file_required: false,
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::load_from(&env(&[])).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.storage.event_store, EventStoreKind::Embedded);
        assert_eq!(s.storage.data_dir, PathBuf::from("./data"));
        assert_eq!(s.storage.event_bus, EventBusKind::Local);
        assert!(s.auth.uses_default_secret());
        assert_eq!(s.game.point_cards_to_end, None);
        let _ = Settings::for_tests();
    }

    #[test]
    fn the_embedded_store_refuses_the_redis_bus_and_names_both() {
        let err = Settings::load_from(&env(&[("EVENT_STORE", "embedded"), ("EVENT_BUS", "redis")]))
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("EVENT_BUS"), "{message}");
        assert!(message.contains("EVENT_STORE=mongodb"), "{message}");
        let s = Settings::load_from(&env(&[
            ("EVENT_STORE", "embedded"),
            ("DATA_DIR", "/var/lib/caravan"),
        ]))
        .unwrap();
        assert_eq!(s.storage.event_store, EventStoreKind::Embedded);
        assert_eq!(s.storage.data_dir, PathBuf::from("/var/lib/caravan"));
    }

    #[test]
    fn a_numeric_looking_secret_stays_text() {
        let s = Settings::load_from(&env(&[("JWT_SECRET", "12345")])).unwrap();
        assert_eq!(s.auth.jwt_secret.expose(), "12345");
    }

    #[test]
    fn a_malformed_number_names_the_variable() {
        let err = Settings::load_from(&env(&[("SERVER_PORT", "eighty")])).unwrap_err();
        assert!(err.to_string().contains("SERVER_PORT"), "{err}");
    }

    #[test]
    fn production_refuses_the_default_secret() {
        let err = Settings::load_from(&env(&[("APP_ENV", "production")])).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn a_public_bind_refuses_the_default_or_a_short_secret_whatever_app_env_says() {
        for host in ["0.0.0.0", "::", "192.0.2.7"] {
            let err = Settings::load_from(&env(&[("SERVER_HOST", host)])).unwrap_err();
            assert!(err.to_string().contains("JWT_SECRET"), "{host}: {err}");
            let err = Settings::load_from(&env(&[
                ("SERVER_HOST", host),
                ("APP_ENV", "development"),
                ("JWT_SECRET", "short-secret"),
            ]))
            .unwrap_err();
            assert!(
                err.to_string().contains("at least 32 bytes"),
                "{host}: {err}"
            );
        }
        let long = "0123456789abcdef0123456789abcdef";
        let s =
            Settings::load_from(&env(&[("SERVER_HOST", "0.0.0.0"), ("JWT_SECRET", long)])).unwrap();
        assert_eq!(s.server.host, "0.0.0.0");
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            Settings::load_from(&env(&[("SERVER_HOST", host)]))
                .unwrap_or_else(|e| panic!("{host}: {e}"));
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidr_blocks() {
        let s =
            Settings::load_from(&env(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1,192.0.2.1")])).unwrap();
        let nets = &s.limits.trusted_proxies;
        assert_eq!(nets.len(), 3);
        assert!(nets[0].contains("10.200.3.4".parse().unwrap()));
        assert!(nets[0].contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!nets[0].contains("11.0.0.1".parse().unwrap()));
        assert!(nets[1].contains("::1".parse().unwrap()));
        assert!(!nets[2].contains("192.0.2.2".parse().unwrap()));
        let err = Settings::load_from(&env(&[("TRUSTED_PROXIES", "10.0.0.0/33")])).unwrap_err();
        assert!(err.to_string().contains("TRUSTED_PROXIES"), "{err}");
        let err = Settings::load_from(&env(&[("TRUSTED_PROXIES", "nginx")])).unwrap_err();
        assert!(err.to_string().contains("TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn a_zero_rate_limit_is_refused() {
        let err = Settings::load_from(&env(&[("RATE_LIMIT_JOINS_PER_MIN", "0")])).unwrap_err();
        assert!(
            err.to_string().contains("RATE_LIMIT_JOINS_PER_MIN"),
            "{err}"
        );
    }

    #[test]
    fn a_redis_key_prefix_with_a_space_is_refused() {
        let err = Settings::load_from(&env(&[("REDIS_KEY_PREFIX", "my app")])).unwrap_err();
        assert!(err.to_string().contains("REDIS_KEY_PREFIX"), "{err}");
        let s = Settings::load_from(&env(&[("REDIS_KEY_PREFIX", "staging")])).unwrap();
        assert_eq!(s.storage.redis_key_prefix, "staging");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::load_from(&env(&[(
            "JWT_SECRET",
            "super-secret-value-1234567890abcdef",
        )]))
        .unwrap();
        assert!(!format!("{s:?}").contains("super-secret"));
    }

    #[test]
    fn unknown_variables_are_ignored_and_empty_ones_are_unset() {
        let s = Settings::load_from(&env(&[("PATH", "/bin"), ("POINT_CARDS_TO_END", "")])).unwrap();
        assert_eq!(s.game.point_cards_to_end, None);
    }
}
