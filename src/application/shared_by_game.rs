//! Something kept once per game on this server for as long as anyone holds it.
//!
//! The connections of one game want the same things built from the same events (the common view of
//! each version, the rendered frames): [`SharedByGame`] hands every holder of a game the same `Arc<T>`,
//! and forgets a game once nobody holds it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

/// How many new entries between two sweeps of the games nobody holds any more.
const SWEEP_EVERY: usize = 1024;

/// One `T` per game, shared by everyone who holds it.
#[derive(Debug)]
pub struct SharedByGame<T> {
    games: Mutex<HashMap<String, Weak<T>>>,
    created: AtomicUsize,
}

impl<T> Default for SharedByGame<T> {
    fn default() -> Self {
        SharedByGame {
            games: Mutex::new(HashMap::new()),
            created: AtomicUsize::new(0),
        }
    }
}

impl<T: Default> SharedByGame<T> {
    /// The `T` of `game_id`, created when nobody holds one.
    pub fn game(&self, game_id: &str) -> Arc<T> {
        let mut games = self.games.lock();
        if let Some(held) = games.get(game_id).and_then(Weak::upgrade) {
            return held;
        }
        // Now and then, forget the games nobody holds any more.
        if self.created.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            games.retain(|_, held| held.strong_count() > 0);
        }
        let fresh = Arc::new(T::default());
        games.insert(game_id.to_string(), Arc::downgrade(&fresh));
        fresh
    }
}

impl<T> SharedByGame<T> {
    /// Games with an entry (including some nobody holds any more, until the next sweep).
    pub fn len(&self) -> usize {
        self.games.lock().len()
    }

    /// True when no game has an entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_game_is_shared_while_held_and_forgotten_after() {
        let shared: SharedByGame<Mutex<u32>> = SharedByGame::default();
        let a = shared.game("a");
        assert!(Arc::ptr_eq(&a, &shared.game("a")));
        assert!(!Arc::ptr_eq(&a, &shared.game("b")));
        *a.lock() = 7;
        drop(a);
        let again = shared.game("a");
        assert_eq!(*again.lock(), 0, "a new one once nobody held the old");
        assert_eq!(Arc::strong_count(&again), 1);
        for i in 0..2 * SWEEP_EVERY {
            let _ = shared.game(&format!("g{i}"));
        }
        assert!(
            shared.len() < SWEEP_EVERY + 100,
            "forgotten games are swept: {}",
            shared.len()
        );
    }
}
