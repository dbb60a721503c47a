//! caravan: a server-authoritative, event-sourced game server for Century: Spice Road.
//!
//! Hexagonal layout: [`domain`] (the game, pure) ← [`application`] (use cases over ports) ←
//! [`adapters`] (HTTP, WebSocket, stores, buses). [`startup`] wires them; `main.rs` only calls it.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod startup;
pub mod telemetry;
