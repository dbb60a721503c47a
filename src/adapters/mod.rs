//! Adapters: the outside world, each named for its technology.

pub mod outbound;
