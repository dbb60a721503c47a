//! Legal moves: the finite list of commands the seat to move may send now.
//!
//! Bots and property tests draw from this list; the view's hints come from the same place.

use super::commands::Command;
use super::game::Game;
use super::rules::Seat;

impl Game {
    /// Every legal command for `seat` (empty when it is not that seat's turn).
    pub fn legal_commands(&self, seat: Seat) -> Vec<Command> {
        let _ = seat;
        todo!()
    }
}
