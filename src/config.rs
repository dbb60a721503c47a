//! Settings, loaded in layers: built-in defaults → an optional `caravan.toml` → environment variables.
//!
//! Every setting has one name: the environment variable (`SERVER_PORT`); the TOML file uses the same
//! name in lower case (`server_port = 8080`). The file is read from `$CARAVAN_CONFIG`, or `./caravan.toml`
//! when that variable is unset (a missing default file is fine; a missing explicit file is an error).
//!
//! Each setting is declared once, in `config/settings.rs`; the types the settings take are in
//! `config/values.rs`.
//!
//! Loading never panics: a value of the wrong type, out of range, or unsafe for production stops start-up
//! with a [`ConfigError`] whose message names the setting. This module must never log a secret: the
//! [`Secret`] type redacts itself in `Debug` and `Display`.

use std::path::PathBuf;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

mod declare;
mod settings;
mod values;

pub use settings::{
    AuthSettings, GameSettings, LimitSettings, LogSettings, ServerSettings, Settings,
    StorageSettings, WebSocketSettings, DEFAULT_HTTP_MAX_BODY_BYTES,
};
pub use values::{
    canonical_ip, is_loopback_host, AppEnv, EventBusKind, EventStoreKind, IpNet, LogFormat, Secret,
};

use settings::{RawSettings, SETTINGS};

/// The JWT secret used when none is configured. Accepted in development only (with a warning);
/// `APP_ENV=production` refuses to start with it.
pub const DEFAULT_JWT_SECRET: &str = "caravan-development-secret-change-me-in-production";

/// Name of the variable that points at the TOML file.
pub const CONFIG_PATH_VAR: &str = "CARAVAN_CONFIG";

/// Default location of the TOML file, relative to the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "caravan.toml";

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
        raw.into_settings()
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
        raw.into_settings().expect("default settings are valid")
    }

    /// The address to bind, `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }
}

/// The rules that tie several settings together (each setting's own rule is in its declaration).
fn check_together(raw: &RawSettings) -> Result<(), ConfigError> {
    let invalid =
        |setting: &'static str, message: String| ConfigError::Invalid { setting, message };
    if raw.event_store == EventStoreKind::Embedded && raw.event_bus == EventBusKind::Redis {
        return Err(invalid(
            "EVENT_BUS",
            "EVENT_BUS=redis is for several instances, and EVENT_STORE=embedded keeps the games in this one process's files: use EVENT_BUS=local with EVENT_STORE=embedded, or EVENT_STORE=mongodb for several instances".into(),
        ));
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
    if raw.ws_client_timeout_secs <= raw.ws_heartbeat_secs {
        return Err(invalid(
            "WS_CLIENT_TIMEOUT_SECS",
            format!(
                "must be longer than WS_HEARTBEAT_SECS ({} ≤ {})",
                raw.ws_client_timeout_secs, raw.ws_heartbeat_secs
            ),
        ));
    }
    Ok(())
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
mod tests;
