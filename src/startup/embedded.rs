//! Start-up of the embedded store (`EVENT_STORE=embedded`): open the database under `DATA_DIR`
//! (off the async workers), and bring the read models of games a crash left behind up to their
//! logs before anything is served.

use std::sync::Arc;

use crate::adapters::outbound::sqlite::{self, Access, Embedded, SqliteReadModels};
use crate::application::ports::Ports;
use crate::application::{ServiceSettings, Services};
use crate::config::Settings;

use super::StartupError;

/// Opens the database under `DATA_DIR`, holding the directory's lock.
pub(super) async fn open(settings: &Settings) -> Result<Embedded, StartupError> {
    let dir = settings.storage.data_dir.clone();
    tokio::task::spawn_blocking(move || sqlite::open(&dir, Access::Exclusive))
        .await
        .map_err(|e| StartupError::Adapter(format!("cannot open the embedded store: {e}")))?
        .map_err(|e| StartupError::Adapter(e.to_string()))
}

/// Projects again every game whose summary is missing or behind its log (the process stopped
/// between an append and its projection). Takes one index seek per game to find them, and a
/// replay of each one found: bounded by the games, not by the events.
pub(super) async fn catch_up_read_models(
    read_models: &SqliteReadModels,
    ports: &Ports,
    settings: ServiceSettings,
) -> Result<(), StartupError> {
    let stale = read_models
        .stale_games()
        .await
        .map_err(|e| StartupError::Adapter(format!("cannot check the read models: {e}")))?;
    if stale.is_empty() {
        return Ok(());
    }
    tracing::info!(
        games = stale.len(),
        "bringing read models up to their games' events"
    );
    let services = Arc::new(Services::new(ports.clone(), settings));
    for game_id in stale {
        services.project_game(&game_id).await.map_err(|e| {
            StartupError::Adapter(format!("cannot project game {game_id} at start-up: {e}"))
        })?;
    }
    Ok(())
}
