//! The one test harness: the server under test and its REST helpers (`app`), the WebSocket client
//! (`ws`), the real services and a namespace of one's own on them (`services`), a TCP proxy to cut
//! them (`proxy`), games played by a bot (`play`), bus helpers (`bus`), stores that misbehave on
//! purpose (`stores`). The port contract suites are beside it, in `tests/contract`.
//!
//! Every test binary mounts this module and uses a part of it.
#![allow(dead_code)]

pub mod app;
pub mod bus;
pub mod play;
pub mod proxy;
pub mod services;
pub mod stores;
pub mod ws;
