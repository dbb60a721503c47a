//! Black-box tests of the REST protocol: each test starts the real server on port 0 with the
//! in-memory adapters (`spawn_app`) and talks to it over HTTP only (`read_models` also appends to
//! its event store directly, as an instance that died before publishing would have).

mod auth;
mod commands;
mod config;
mod contract;
mod dashboards;
mod events;
mod games;
mod health;
mod read_models;
