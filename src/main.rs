//! The `caravan` binary: the composition root. Load settings → start telemetry → build adapters →
//! build services → run. Nothing else lives here.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use caravan::adapters::outbound::mongodb::baseline::raw_insert_rate;
use caravan::application::replay::{ReplayError, Replayed};
use caravan::application::Services;
use caravan::config::{EventStoreKind, Secret, Settings};
use caravan::domain::Viewer;
use caravan::startup::{build_adapters, copy_between, service_settings, Application};
use caravan::telemetry;

/// jemalloc instead of the system allocator: under load the server allocates and frees frames,
/// views and events for every connection and command, and glibc's malloc/free were about a fifth
/// of its instructions (see BENCHMARKS.md). mimalloc saved as much but held ~50 % more memory
/// with 10,000 idle connections; jemalloc holds the same as glibc.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A server-authoritative, event-sourced game server for Century: Spice Road.
#[derive(Debug, Parser)]
#[command(name = "caravan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve HTTP and WebSocket clients (the default).
    Serve,
    /// Print a game's state rebuilt from its events in the configured event store.
    Replay {
        /// The game's id.
        #[arg(long = "game")]
        game: String,
        /// Stop after this event id (default: all events).
        #[arg(long)]
        at: Option<u64>,
        /// Also print every event, one JSON line each (hidden information included: this is an operator tool).
        #[arg(long)]
        events: bool,
    },
    /// Clear the read models and rebuild them from every game's events.
    RebuildProjections,
    /// Copy every game's events from the configured event store into another (and rebuild the
    /// other's read models): `--to mongodb` moves an embedded history to MongoDB.
    CopyEvents(CopyArgs),
    /// Print the effective configuration (secrets masked) and exit.
    Config,
    /// Run `caravan-tools loadtest` with these arguments: the load generator is the tools' binary
    /// (`caravan-tools`, beside this one), so that the server links no HTTP or WebSocket client.
    /// `caravan loadtest --help` lists its options.
    #[command(disable_help_flag = true)]
    Loadtest {
        /// Every argument, passed on as given.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Measure the raw insert rate of a MongoDB (the event store's documents through the driver
    /// alone), print it as JSON and drop the database it made. `caravan-tools loadtest
    /// --mongo-baseline` runs it.
    MongoBaseline {
        /// The MongoDB to measure.
        #[arg(long)]
        uri: String,
        /// Tasks inserting at the same time.
        #[arg(long, default_value_t = 1)]
        tasks: usize,
        /// How long to insert, ms.
        #[arg(long, default_value_t = 5_000)]
        millis: u64,
    },
}

/// Where `caravan copy-events` copies to; the configured store (`EVENT_STORE`, …) is the source.
#[derive(Debug, clap::Args)]
struct CopyArgs {
    /// The target store: `embedded` or `mongodb`.
    #[arg(long, value_parser = ["embedded", "mongodb"])]
    to: String,
    /// The target's DATA_DIR (with `--to embedded`).
    #[arg(long)]
    to_data_dir: Option<std::path::PathBuf>,
    /// The target's MONGO_URI (with `--to mongodb`; default: MONGO_URI).
    #[arg(long)]
    to_mongo_uri: Option<String>,
    /// The target's MONGO_DB (with `--to mongodb`; default: MONGO_DB).
    #[arg(long)]
    to_mongo_db: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The load generator is another program: it needs none of the server's settings.
    if let Some(Cmd::Loadtest { args }) = cli.command {
        return run_tools("loadtest", args);
    }
    // Return freed memory to the system from jemalloc's background thread, not from whichever
    // request happens to free past the threshold: without it, runs at 10,000 commands/s had single
    // seconds with a command→result p99 of 40–47 ms; with it the worst seconds were 20–31 ms.
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!(
            "caravan: jemalloc's background thread could not be started ({e}); going on without it"
        );
    }
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("caravan: {e}");
            return ExitCode::from(2);
        }
    };
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Cmd::Serve) {
            Cmd::Serve => serve(settings).await,
            Cmd::Replay { game, at, events } => replay(settings, &game, at, events).await,
            Cmd::RebuildProjections => rebuild(settings).await,
            Cmd::MongoBaseline { uri, tasks, millis } => {
                let rate = raw_insert_rate(&uri, tasks, Duration::from_millis(millis))
                    .await
                    .map_err(anyhow::Error::msg)
                    .context("the MongoDB baseline")?;
                println!("{}", serde_json::to_string(&rate)?);
                Ok(())
            }
            Cmd::CopyEvents(args) => copy_events(settings, args).await,
            Cmd::Loadtest { .. } => {
                unreachable!("handed to caravan-tools before the settings load")
            }
            Cmd::Config => {
                for (name, value) in settings.describe() {
                    println!("{name}={value}");
                }
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caravan: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    tracing::info!(
        address = %settings.address(),
        event_store = ?settings.storage.event_store,
        event_bus = ?settings.storage.event_bus,
        "starting"
    );
    let app = Application::build(settings).await.context("cannot start")?;
    app.run_until_stopped().await.context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

async fn services(settings: &Settings) -> anyhow::Result<Services> {
    let adapters = build_adapters(settings)
        .await
        .context("cannot build the adapters")?;
    Ok(Services::new(adapters.ports, service_settings(settings)))
}

async fn replay(
    settings: Settings,
    game_id: &str,
    at: Option<u64>,
    print_events: bool,
) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    let services = services(&settings).await?;
    let Replayed {
        events,
        game: loaded,
    } = match services.replay(game_id, at).await {
        Ok(replayed) => replayed,
        Err(ReplayError::NoEvents(_)) => anyhow::bail!(
            "no events for game {game_id:?} in the {:?} event store (the memory store keeps events only while its server runs)",
            settings.storage.event_store
        ),
        Err(e) => return Err(e.into()),
    };
    if print_events {
        for event in &events {
            println!("{}", serde_json::to_string(event)?);
        }
    }
    let state = serde_json::json!({
        "gameId": game_id,
        "lastEventId": loaded.version(),
        "createdAt": loaded.created_at,
        "updatedAt": loaded.updated_at,
        "scores": loaded.game.scores(),
        "state": loaded.game.view(Viewer::Spectator),
    });
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(())
}

async fn rebuild(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    let services = services(&settings).await?;
    let report = services
        .rebuild_projections()
        .await
        .context("rebuild failed")?;
    println!(
        "rebuilt read models: {} games, {} events, {} skipped",
        report.games, report.events, report.skipped
    );
    Ok(())
}

async fn copy_events(settings: Settings, args: CopyArgs) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    let mut target = settings.clone();
    if args.to == "embedded" {
        target.storage.event_store = EventStoreKind::Embedded;
        target.storage.data_dir = args
            .to_data_dir
            .context("--to embedded needs --to-data-dir")?;
    } else {
        target.storage.event_store = EventStoreKind::Mongodb;
        if let Some(uri) = args.to_mongo_uri {
            target.storage.mongo_uri = Secret::new(uri);
        }
        if let Some(db) = args.to_mongo_db {
            target.storage.mongo_db = db;
        }
    }
    let (copied, rebuilt) = copy_between(&settings, &target).await?;
    println!(
        "copied {} games ({} events appended, {} games already there); rebuilt the target's read models: {} games",
        copied.games, copied.events, copied.already_there, rebuilt.games
    );
    Ok(())
}

/// The tools' binary beside the running `caravan`.
fn tools_binary() -> Result<PathBuf, String> {
    let me =
        std::env::current_exe().map_err(|e| format!("cannot tell where this binary lies: {e}"))?;
    let dir = me
        .parent()
        .ok_or_else(|| format!("{} has no directory", me.display()))?;
    Ok(dir.join(format!("caravan-tools{}", std::env::consts::EXE_SUFFIX)))
}

/// `caravan loadtest …`: the load generator is `caravan-tools`, the client-side tools' binary that
/// the workspace builds beside this one, so that the server links no HTTP or WebSocket client.
/// Runs `caravan-tools <subcommand> <args…>` in place of this process (unix) or as a child whose
/// exit code becomes this one's. Returns only when it could not be started, or (elsewhere than
/// unix) when it ended.
fn run_tools(subcommand: &str, args: Vec<OsString>) -> ExitCode {
    let binary = match tools_binary() {
        Ok(binary) => binary,
        Err(e) => {
            eprintln!("caravan {subcommand}: {e}");
            return ExitCode::from(2);
        }
    };
    if !binary.is_file() {
        eprintln!(
            "caravan {subcommand}: the load generator is the separate binary caravan-tools, and there is none at {}: build it with cargo build --release (the workspace builds caravan and caravan-tools side by side)",
            binary.display()
        );
        return ExitCode::from(2);
    }
    let mut command = Command::new(&binary);
    command.arg(subcommand).args(args);
    exec(command, &binary, subcommand)
}

#[cfg(unix)]
fn exec(mut command: Command, binary: &Path, subcommand: &str) -> ExitCode {
    use std::os::unix::process::CommandExt;
    // `exec` returns only when the program could not replace this one.
    let error = command.exec();
    eprintln!(
        "caravan {subcommand}: cannot run {}: {error}",
        binary.display()
    );
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn exec(mut command: Command, binary: &Path, subcommand: &str) -> ExitCode {
    match command.status() {
        Ok(status) => match status.code() {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        },
        Err(error) => {
            eprintln!(
                "caravan {subcommand}: cannot run {}: {error}",
                binary.display()
            );
            ExitCode::FAILURE
        }
    }
}
