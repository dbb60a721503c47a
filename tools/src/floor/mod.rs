//! The floor: what one command costs a server that does nothing but the unavoidable, on caravan's
//! own workload and stack, to read caravan's CPU per command against.
//!
//! [`server`] is an actix-web server (the same HTTP and WebSocket stack as caravan: one actor per
//! connection, TCP_NODELAY, the default worker count, jemalloc) that speaks just enough of
//! caravan's protocol: `POST /api/games` creates a table, `POST /api/games/{id}/join` seats a player
//! and answers its token, `GET /ws?gameId=…&token=…` opens the seat's WebSocket. For each command
//! frame it reads the frame (the JSON parsed for its `requestId`), checks that the sender's seat is
//! the one to move, and writes one small `update` frame — the next event id, who moved and who moves
//! next — to each of the game's connections: no rules, no log, no views.
//!
//! [`load`] drives it as `caravan-tools loadtest` drives caravan, closed loop: G games of P seats,
//! each created and joined over REST and each seat on its own WebSocket; the seat to move sends a
//! command as soon as the update naming it arrives. It checks every stream for gaps and measures
//! commands per second, command → own update latency and the server's CPU per command
//! (`/proc/<pid>/stat`). `scripts/floor.sh` runs both pinned as
//! `../shared/peer-colyseus/vs-colyseus.sh` pins caravan.

pub mod load;
pub mod server;

use clap::{Parser, Subcommand};

/// The floor server and its load generator.
#[derive(Debug, Parser)]
#[command(name = "caravan-floor", version, about)]
pub struct FloorCli {
    /// What to run.
    #[command(subcommand)]
    pub command: FloorCmd,
}

/// `caravan-floor serve` or `caravan-floor load`.
#[derive(Debug, Subcommand)]
pub enum FloorCmd {
    /// Serve the floor's REST and WebSocket routes until killed.
    Serve(server::ServeArgs),
    /// Play closed-loop games against a floor server and print one JSON line of figures.
    Load(load::LoadArgs),
}
