//! Driven adapters: each implements ports of `crate::application::ports` with one technology.

pub mod clock;
pub mod jwt;
pub mod memory;
pub mod mongodb;
pub mod prometheus;
pub mod redis;
pub mod sqlite;
