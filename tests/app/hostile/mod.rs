//! Hostile clients against the real server: each attack is refused with its documented code or
//! bounded, and honest players keep playing meanwhile.
//!
//! - `readers`: WebSocket clients that stop reading (the connection is reset, SIGTERM is not held up);
//! - `frames`: floods of pings, pongs and fragments (they count toward the message limit);
//! - `spectators`: one spectator too many for a game;
//! - `names`: invisible characters, names taken in another case, wins by forfeit;
//! - `games`: unknown games, tokens of players who left, games that never fill;
//!
//! and against the real server binary (`CARGO_BIN_EXE_caravan`, one process per test, so that its
//! peak memory can be read from `/proc`; `server` starts it), whose clients speak for several
//! addresses through `X-Forwarded-For`, believed from 127.0.0.1 (`TRUSTED_PROXIES=127.0.0.1`):
//!
//! - `bodies`: compression bombs (peak RSS within 20 MiB of idle) and bodies that trickle in;
//! - `limits`: floods of games, joins and WebSockets from one address, forged `X-Forwarded-For`;
//! - `secrets`: a public bind with a known or short secret, tokens signed with the built-in one;
//! - `seeds`: seeds chosen by anyone but the admin;
//! - `admin`: guessing the admin token, `/metrics` behind its token;
//! - `messages`: malformed bodies, queries and frames answered in words;
//! - `siege`: all of these at once while an honest game is played to its end.

mod admin;
mod bodies;
mod frames;
mod games;
mod limits;
mod messages;
mod names;
mod readers;
mod secrets;
mod seeds;
mod server;
mod siege;
mod spectators;

use caravan::domain::RandomPlayer;

use crate::support::app::{Joined, TestApp};
use crate::support::play::{assert_gap_free, next_move};

/// Plays a created game with `players` seated to its end over REST; returns the number of events.
pub async fn play_to_the_end(app: &TestApp, game_id: &str, players: &[Joined], seed: u64) -> u64 {
    let mut bot = RandomPlayer::new(seed);
    let mut moves = 0;
    while let Some((seat, command)) = next_move(&app.state(game_id).await, &mut bot) {
        let player = players
            .iter()
            .find(|p| p.seat == seat)
            .expect("a seated player");
        let (status, body) = app
            .command(game_id, &player.token, &format!("honest-{moves}"), &command)
            .await;
        assert_eq!(status, 200, "the honest move was refused: {body}");
        moves += 1;
        assert!(moves < 5_000, "the game ends");
    }
    let events = app.stored(game_id).await;
    let n = events.len() as u64;
    assert_gap_free(&events, n, "the honest game");
    n
}
