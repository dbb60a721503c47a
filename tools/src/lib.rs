//! caravan-tools: programs that play against a caravan server from the outside, as its clients do
//! (REST and WebSocket). They use the game's rules ([`caravan::domain`]) and never a server adapter:
//! whatever they learn about a server, they learn through its public protocol.
//!
//! - [`loadtest`]: many bot games at once against a server, with throughput, latency and stream
//!   checks.
//! - [`arena`]: computer players of two levels against each other, in process (no server).
//! - [`clock`]: how late the turn clock fires, read from the logs of games whose players never
//!   move.
//! - [`floor`]: a server that does only the unavoidable per command on caravan's workload and
//!   stack, and its load generator (the `caravan-floor` binary), to read caravan's cost against.

pub mod arena;
pub mod clock;
pub mod floor;
pub mod loadtest;

/// The multi-threaded runtime a load generator plays on: `threads` workers, by default one per
/// core. Also returns the worker count it chose.
pub fn load_runtime(threads: Option<usize>) -> std::io::Result<(tokio::runtime::Runtime, usize)> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    Ok((runtime, threads))
}
