//! Use cases: what the server does, in terms of the domain and the ports, never of a technology.

pub mod errors;
pub mod ids;
pub mod ports;

pub use errors::ApplicationError;
