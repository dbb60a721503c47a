//! What each batch of a game's events makes of the game, built once and shared by the game's feeds.
//!
//! Every feed of a game hands out the same runs of events (a bus batch, nearly always) and the same
//! state after them; only the viewer's own seat and legal hints differ. Folding each batch into a
//! copy of the game per feed, and copying its public events per feed, was most of what the feeds
//! cost beyond the frames: the first feed of the game to reach a run builds its [`Step`] (the
//! public events, the game folded, the common view), and the game's other feeds take the same
//! `Arc`s. A step is named by the ids it spans, and a game's log never changes below its end, so a
//! step found here is exactly what the feed would have built itself.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::domain::GameView;

use super::super::games::LoadedGame;
use super::super::ports::StoredEvent;

/// The events after `from` up to `to`, and the game after them; or, with `from == to` and no
/// events, the game at the version feeds were opened at.
#[derive(Debug, Clone)]
pub(super) struct Step {
    /// The id of the event before the first of `events`.
    pub(super) from: u64,
    /// The public events `from + 1 ..= to`, in order.
    pub(super) events: Arc<[StoredEvent]>,
    /// The game after them (its version is `to`).
    pub(super) loaded: Arc<LoadedGame>,
    /// The game after them as a spectator sees it.
    pub(super) common: Arc<GameView>,
}

impl Step {
    /// The id of the last event.
    pub(super) fn to(&self) -> u64 {
        self.loaded.version()
    }
}

/// The latest step of one game, shared by its feeds.
///
/// Only the latest is kept: the game's feeds take each step as soon as the bus hands them its
/// batch, and the game before it is freed once they have all moved on, while the memory is still
/// warm for the next allocations (keeping a few more steps cost more CPU per command than it
/// saved).
#[derive(Debug, Default)]
pub(super) struct Steps {
    latest: Mutex<Option<Step>>,
}

impl Steps {
    /// The step from `from` to `to`, if it is the latest.
    pub(super) fn find(&self, from: u64, to: u64) -> Option<Step> {
        self.latest
            .lock()
            .as_ref()
            .filter(|s| s.from == from && s.to() == to)
            .cloned()
    }

    /// The game at version `to` and its common view, if the latest step ends there.
    pub(super) fn at(&self, to: u64) -> Option<(Arc<LoadedGame>, Arc<GameView>)> {
        self.latest
            .lock()
            .as_ref()
            .filter(|s| s.to() == to)
            .map(|s| (s.loaded.clone(), s.common.clone()))
    }

    /// Shares `step`, unless a feed shared the same one meanwhile (returns the one shared), or the
    /// latest step ends as late or later (a feed behind the others keeps its own).
    pub(super) fn share(&self, step: Step) -> Step {
        let mut latest = self.latest.lock();
        if let Some(shared) = &*latest {
            if shared.from == step.from && shared.to() == step.to() {
                return shared.clone();
            }
            if shared.to() >= step.to() {
                return step;
            }
        }
        *latest = Some(step.clone());
        step
    }
}
