//! The `caravan-tools` binary: one subcommand per client-side tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use caravan_tools::{arena, clock, loadtest};

/// Client-side tools for a caravan server.
#[derive(Debug, Parser)]
#[command(name = "caravan-tools", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Play many bot games against a running server and report throughput and latency.
    Loadtest(Box<loadtest::LoadtestArgs>),
    /// Play computer players of two levels against each other in process and report win rates.
    Arena(arena::ArenaArgs),
    /// Let the turn clock play games whose players never move and report how late it fired.
    Clock(clock::ClockArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Loadtest(args) => loadtest::main(*args),
        Cmd::Arena(args) => arena::main(args),
        Cmd::Clock(args) => clock::main(args),
    }
}
