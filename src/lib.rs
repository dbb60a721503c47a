//! caravan: a server-authoritative, event-sourced game server for Century: Spice Road.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod telemetry;
