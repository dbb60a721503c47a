//! Driving adapters: the protocol's edges. They translate requests into application calls and
//! application results into responses; they hold no game rule.

pub mod app_state;
pub mod client_ip;
pub mod http;
pub mod malformed;
pub mod player_command;
pub mod throttle;
pub mod websocket;
pub mod wire;

pub use app_state::{AppState, ShutdownSignal, ShutdownTrigger};
