//! The `caravan-floor` binary: the floor server and its load generator (`caravan_tools::floor`).
//! A binary of its own so that it runs on the server's allocator without changing the other tools'.

use std::process::ExitCode;

use clap::Parser;

use caravan_tools::floor::{load, server, FloorCli, FloorCmd};

/// The allocator of the `caravan` server, so that the floor differs from it only in the work done.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = FloorCli::parse();
    // As the server: freed memory goes back from jemalloc's background thread.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    match cli.command {
        FloorCmd::Serve(args) => server::main(args),
        FloorCmd::Load(args) => load::main(args),
    }
}
