//! The server's WebSocket sessions taken together: how many are open and how many commands they
//! have in flight. One per server, shared by every worker (it lives in `AppState`).
//!
//! A graceful stop uses it: once the server's [`ShutdownSignal`](crate::adapters::inbound::ShutdownSignal)
//! fires, every session stops taking commands, waits until [`Sessions::idle`] (no WebSocket command
//! in flight anywhere on this server), sends the events its game has up to then, and closes with
//! 1001. So a client sees the outcome of every command that was running when the stop began, its
//! own or another player's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use super::frames::SharedFrames;
use crate::application::SharedByGame;

/// Open sessions and commands in flight, for one server.
#[derive(Debug)]
pub struct Sessions {
    open: AtomicUsize,
    in_flight: watch::Sender<usize>,
    frames: SharedFrames,
    /// Spectator connections open per game.
    spectators: SharedByGame<AtomicUsize>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            open: AtomicUsize::new(0),
            in_flight: watch::Sender::new(0),
            frames: SharedFrames::default(),
            spectators: SharedByGame::default(),
        }
    }
}

impl Sessions {
    /// A registry with nothing open.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frames the sessions of each game share.
    pub fn frames(&self) -> &SharedFrames {
        &self.frames
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Commands sent over WebSockets and not finished yet.
    pub fn commands_in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Resolves once no WebSocket command is in flight (at once if none is).
    pub async fn idle(&self) {
        let mut in_flight = self.in_flight.subscribe();
        // The sender lives as long as `self`: an error cannot happen while we borrow it.
        let _ = in_flight.wait_for(|n| *n == 0).await;
    }

    /// A place for one more spectator of `game_id`, held until the returned guard is dropped;
    /// `None` when the game already has `limit` spectators on this server.
    pub fn spectator_place(&self, game_id: &str, limit: usize) -> Option<SpectatorPlace> {
        let count = self.spectators.game(game_id);
        let taken = count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        });
        taken.is_ok().then_some(SpectatorPlace(count))
    }

    pub(super) fn session_opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn session_closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a command until the returned guard is dropped (also when its task is cancelled).
    pub(super) fn command_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.send_modify(|n| *n += 1);
        InFlight(self.clone())
    }
}

/// One spectator connection of a game; dropping it frees the place.
#[derive(Debug)]
pub struct SpectatorPlace(Arc<AtomicUsize>);

impl Drop for SpectatorPlace {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One command in flight; dropping it ends the count.
#[derive(Debug)]
pub struct InFlight(Arc<Sessions>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_game_takes_spectators_up_to_its_limit_and_a_place_is_freed_on_drop() {
        let sessions = Sessions::new();
        let first = sessions.spectator_place("g", 2);
        let second = sessions.spectator_place("g", 2);
        assert!(first.is_some() && second.is_some());
        assert!(sessions.spectator_place("g", 2).is_none());
        assert!(sessions.spectator_place("other", 2).is_some(), "per game");
        drop(first);
        assert!(sessions.spectator_place("g", 2).is_some());
        assert!(sessions.spectator_place("g", 0).is_none());
    }

    #[tokio::test]
    async fn idle_waits_for_the_last_command_in_flight() {
        let sessions = Arc::new(Sessions::new());
        sessions.idle().await;
        let first = sessions.command_started();
        let second = sessions.command_started();
        assert_eq!(sessions.commands_in_flight(), 2);
        let waiter = {
            let sessions = sessions.clone();
            tokio::spawn(async move { sessions.idle().await })
        };
        drop(first);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "one command is still running");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("idle once both are done")
            .expect("the waiter ends");
        assert_eq!(sessions.commands_in_flight(), 0);
    }
}
