//! The WebSocket adapter: `GET /ws`, one actor per connection (actix-web-actors).
//!
//! actix-web-actors is published as deprecated in favour of actix-ws; it is used in this folder
//! and nowhere else, so a move to actix-ws touches only this folder.
//!
//! - [`upgrade`]: the route; checks the query and token and opens the game's feed before upgrading;
//! - [`session`]: the connection's actor (the feed, ordering, shutdown; its commands, and its
//!   heartbeat, rate limit and fragments, in the files under `session/`);
//! - [`refused`]: the actor of a connection refused before it started;
//! - [`frames`]: event, state and update frames rendered once per game and shared by its
//!   connections;
//! - [`patch`]: the patch of an `update` frame, written from two views;
//! - [`outbox`]: the task that pulls the feed, and the bounded queue towards the socket;
//! - [`registry`]: the server's sessions taken together (commands in flight, for a graceful stop);
//! - [`protocol`]: the messages, error codes and close codes (documented in `docs/protocol.md`);
//! - [`limits`]: the per-connection rate limiter.
//!
//! Like every inbound adapter, it translates and delegates: no game rule lives here, and nothing
//! leaves it that the application did not already redact (events are public, states are views).

pub mod frames;
pub mod limits;
pub mod outbox;
pub mod patch;
pub mod protocol;
pub mod refused;
pub mod registry;
pub mod session;
pub mod state_json;
pub mod upgrade;

use actix_web::web;

pub use registry::Sessions;

/// Registers `GET /ws`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(upgrade::connect));
}
