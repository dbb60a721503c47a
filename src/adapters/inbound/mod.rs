//! Driving adapters: the protocol's edges. They translate requests into application calls and
//! application results into responses; they hold no game rule. The projection stream's consumer
//! is one too: Redis entries drive the application's projections.

pub mod app_state;
pub mod client_ip;
pub mod http;
pub mod malformed;
pub mod player_command;
pub mod projection_stream;
pub mod throttle;
pub mod websocket;
pub mod wire;

pub use app_state::{AppState, ShutdownSignal, ShutdownTrigger};
