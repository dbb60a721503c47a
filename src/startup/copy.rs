//! `caravan copy-events`: every game's events from the configured store into another one, then
//! the other's read models rebuilt from them, so that a server started on it finds every game.

use crate::application::copy::{copy_events, CopyError, CopyReport};
use crate::application::{RebuildError, RebuildReport, Services};
use crate::config::{EventBusKind, EventStoreKind, Settings};

use super::{build_adapters, service_settings, StartupError};

/// Why a copy did not finish.
#[derive(Debug, thiserror::Error)]
pub enum CopyFailed {
    /// A store could not be opened.
    #[error(transparent)]
    Open(#[from] StartupError),
    /// The source and the target are the same store.
    #[error("the target is the source store: give another DATA_DIR, MONGO_URI or MONGO_DB")]
    SameStore,
    /// The memory store keeps nothing to copy from or into.
    #[error(
        "the memory store keeps nothing after its process: copy from or into embedded or mongodb"
    )]
    Memory,
    /// The copy stopped.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// The target's read models could not be rebuilt (the events are copied: run
    /// `caravan rebuild-projections` on the target).
    #[error("the events are copied, but the target's read models could not be rebuilt: {0}")]
    Rebuild(#[from] RebuildError),
}

/// True when the two settings name the same store.
fn same_store(a: &Settings, b: &Settings) -> bool {
    let (a, b) = (&a.storage, &b.storage);
    a.event_store == b.event_store
        && match a.event_store {
            EventStoreKind::Embedded => a.data_dir == b.data_dir,
            EventStoreKind::Mongodb => {
                a.mongo_uri.expose() == b.mongo_uri.expose() && a.mongo_db == b.mongo_db
            }
            EventStoreKind::Memory => false,
        }
}

/// Copies every game from the store `source` names into the one `target` names, then rebuilds
/// the target's read models. Both stores must be free: stop the server first (the embedded store
/// is refused while a server holds its directory).
pub async fn copy_between(
    source: &Settings,
    target: &Settings,
) -> Result<(CopyReport, RebuildReport), CopyFailed> {
    if [source, target]
        .iter()
        .any(|s| s.storage.event_store == EventStoreKind::Memory)
    {
        return Err(CopyFailed::Memory);
    }
    if same_store(source, target) {
        return Err(CopyFailed::SameStore);
    }
    let mut source = source.clone();
    let mut target = target.clone();
    // Neither side publishes anything.
    source.storage.event_bus = EventBusKind::Local;
    target.storage.event_bus = EventBusKind::Local;
    let from = build_adapters(&source).await?;
    let to = build_adapters(&target).await?;
    let report = copy_events(from.ports.store.as_ref(), to.ports.store.as_ref()).await?;
    let services = Services::new(to.ports, service_settings(&target));
    let rebuilt = services.rebuild_projections().await?;
    Ok((report, rebuilt))
}
