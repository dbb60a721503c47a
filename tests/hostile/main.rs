//! Hostile clients against the real server binary (`CARGO_BIN_EXE_caravan`, one process per
//! test, so that its peak memory can be read from `/proc`): each attack is refused with its
//! documented code or bounded, and honest players are not disturbed.
//!
//! Clients speak for several addresses through `X-Forwarded-For`, which the servers started here
//! believe from 127.0.0.1 (`TRUSTED_PROXIES=127.0.0.1`).

mod admin;
mod bodies;
mod limits;
mod messages;
mod secrets;
mod seeds;
mod server;
mod siege;
