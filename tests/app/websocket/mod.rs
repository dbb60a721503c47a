//! Black-box tests of the WebSocket protocol (`GET /ws`), against the real server on port 0 with the
//! in-memory adapters, with the harness's `WsClient` as the client.
//!
//! - `hint_player`, `table`: a player that knows only its `state` frames, and the checks every seat makes;
//! - `play`: whole games with 2–5 players; `reconnect`: drops and catch-ups;
//! - `protocols`: protocol 2's update frames against the views over REST, protocol 1, and a
//!   protocol the server does not speak;
//! - `commands`: idempotency over WebSocket and REST, concurrent commands, who may act;
//! - `bad_input`: every refused input and its code; `limits`: frame size, rate, heartbeat, slow
//!   readers; `operations`: heartbeats, the open-connections gauge, a graceful stop.

mod hint_player;
mod table;

mod bad_input;
mod commands;
mod limits;
mod operations;
mod play;
mod protocols;
mod reconnect;
