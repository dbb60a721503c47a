//! Adapters: the outside world. `inbound` drives the application (HTTP, WebSocket, the Redis
//! projection stream); `outbound` is driven by it (stores, buses, clocks, tokens, metrics). Each is
//! named for its technology. `redis` holds what the Redis adapters on both sides share.

pub mod inbound;
pub mod outbound;
pub mod redis;
