//! Adapters: the outside world. `inbound` drives the application (HTTP, WebSocket); `outbound` is
//! driven by it (stores, buses, clocks, tokens, metrics). Each is named for its technology.

pub mod inbound;
pub mod outbound;
