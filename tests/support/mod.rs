//! Shared test support: the real services (MongoDB, Redis), a TCP proxy to cut them, running
//! instances, and bus helpers. (The port contract suites are in `tests/contract/`.)
//!
//! Every test binary compiles this module and uses a part of it.
#![allow(dead_code)]

pub mod app;
pub mod bus;
pub mod proxy;
pub mod services;
pub mod ws;
