//! Shared test support: the real services (MongoDB, Redis), a TCP proxy to cut them, running
//! instances, and the port contract suites.
//!
//! Every test binary compiles this module and uses a part of it.
#![allow(dead_code)]

pub mod app;
pub mod bus_contract;
pub mod proxy;
pub mod read_models_contract;
pub mod services;
pub mod store_contract;
