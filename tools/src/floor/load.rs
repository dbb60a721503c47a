//! The floor's load generator: closed-loop games against a floor server, as `caravan-tools
//! loadtest` plays caravan's (create and join over REST, one WebSocket per seat, the seat to move
//! sends at once), with the same client stack and socket settings. The figures cover the play
//! window only: the games are all set up first, then every game's first seat sends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::loadtest::config::parse_duration;
use crate::loadtest::procfs;
use crate::loadtest::Ws;

/// How a floor load run is shaped.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The floor server's base URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:8090")]
    pub url: String,
    /// Games played at the same time (they never end).
    #[arg(long, default_value_t = 1000)]
    pub games: usize,
    /// Seats per game.
    #[arg(long, default_value_t = 4)]
    pub players: u8,
    /// How long to play once every game is set up: `10s`, `500ms`, …
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// The server's process id, for its CPU time over the play window.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Also write the figures to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Worker threads of the generator (default: the number of CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Most connections being opened at the same time.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
}

/// The figures of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FloorReport {
    /// Games played.
    pub games: usize,
    /// Seats per game.
    pub players: u8,
    /// The play window, s.
    pub seconds: f64,
    /// Commands whose update came back to their sender.
    pub commands: u64,
    /// Commands per second.
    pub commands_per_sec: f64,
    /// Update frames received, all connections.
    pub frames: u64,
    /// Bytes of update frames received per command.
    pub bytes_per_command: f64,
    /// Command → the sender's own update, ms.
    pub p50_ms: f64,
    /// Its 99th percentile, ms.
    pub p99_ms: f64,
    /// Its maximum, ms.
    pub max_ms: f64,
    /// Updates whose event id was not the previous one plus one.
    pub gaps: u64,
    /// Failed set-ups, refused commands, dropped connections.
    pub errors: u64,
    /// The server's CPU over the play window, cores (with `--server-pid`).
    pub server_cpu_cores: Option<f64>,
    /// The server's CPU per command, µs (with `--server-pid`).
    pub server_cpu_us_per_command: Option<f64>,
    /// The generator's CPU per command, µs.
    pub generator_cpu_us_per_command: f64,
}

/// What every seat of a run shares.
#[derive(Default)]
struct Counters {
    commands: AtomicU64,
    frames: AtomicU64,
    bytes: AtomicU64,
    gaps: AtomicU64,
    errors: AtomicU64,
}

/// Runs the floor load from the command line: prints the figures as one JSON line.
pub fn main(args: LoadArgs) -> std::process::ExitCode {
    let runtime = match crate::load_runtime(args.threads) {
        Ok((runtime, _)) => runtime,
        Err(e) => {
            eprintln!("caravan-floor load: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let json = args.json.clone();
    let report = match runtime.block_on(run(args)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("caravan-floor load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let line = serde_json::to_string(&report).unwrap_or_default();
    println!("{line}");
    if let Some(path) = json {
        if let Err(e) = std::fs::write(&path, line + "\n") {
            eprintln!("caravan-floor load: cannot write {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    if report.commands > 0 && report.gaps == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    game_id: String,
}

#[derive(Deserialize)]
struct Joined {
    seat: u8,
    token: String,
}

/// An update as the generator reads it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update<'a> {
    event_id: u64,
    by: u8,
    next: u8,
    #[serde(borrow)]
    request_id: &'a str,
}

/// One seat, connected and waiting for the start.
struct Seat {
    seat: u8,
    ws: Ws,
}

/// Plays the run and returns its figures; an error only when no game could be set up.
pub async fn run(args: LoadArgs) -> Result<FloorReport, String> {
    let base = args.url.trim_end_matches('/').to_string();
    let ws_base = base
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .ok_or_else(|| format!("--url must start with http:// (got {:?})", args.url))?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connect_concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let counters = Arc::new(Counters::default());
    let connect = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));

    // Every game set up before the clock starts.
    let setups: Vec<_> = (0..args.games)
        .map(|_| {
            let (http, base, ws_base) = (http.clone(), base.clone(), ws_base.clone());
            let connect = connect.clone();
            let players = args.players;
            tokio::spawn(async move {
                let _permit = connect.acquire().await;
                set_up(&http, &base, &ws_base, players).await
            })
        })
        .collect();
    let mut games = Vec::with_capacity(args.games);
    for setup in setups {
        match setup.await {
            Ok(Ok(seats)) => games.push(seats),
            _ => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if games.is_empty() {
        return Err("no game could be set up".into());
    }

    let (stop, stopped) = watch::channel(false);
    let start = Instant::now();
    let server_cpu_start = args.server_pid.and_then(procfs::cpu_secs);
    let own_cpu_start = procfs::cpu_secs(std::process::id());
    let seats: Vec<_> = games
        .into_iter()
        .flatten()
        .map(|seat| tokio::spawn(play(seat, counters.clone(), stopped.clone())))
        .collect();
    tokio::time::sleep(args.duration).await;
    let _ = stop.send(true);
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu = args
        .server_pid
        .and_then(procfs::cpu_secs)
        .zip(server_cpu_start)
        .map(|(end, start)| end - start);
    let own_cpu = procfs::cpu_secs(std::process::id())
        .zip(own_cpu_start)
        .map_or(0.0, |(end, start)| end - start);
    let mut latencies = Vec::new();
    for seat in seats {
        if let Ok(mut own) = seat.await {
            latencies.append(&mut own);
        }
    }
    latencies.sort_unstable_by(f64::total_cmp);
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let commands = counters.commands.load(Ordering::Relaxed);
    let per_command = |cpu_secs: f64| {
        if commands == 0 {
            0.0
        } else {
            cpu_secs * 1e6 / commands as f64
        }
    };
    Ok(FloorReport {
        games: args.games,
        players: args.players,
        seconds,
        commands,
        commands_per_sec: commands as f64 / seconds,
        frames: counters.frames.load(Ordering::Relaxed),
        bytes_per_command: if commands == 0 {
            0.0
        } else {
            counters.bytes.load(Ordering::Relaxed) as f64 / commands as f64
        },
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        gaps: counters.gaps.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        server_cpu_cores: server_cpu.map(|cpu| cpu / seconds),
        server_cpu_us_per_command: server_cpu.map(per_command),
        generator_cpu_us_per_command: per_command(own_cpu),
    })
}

/// Creates a game, joins its seats and opens their WebSockets.
async fn set_up(
    http: &reqwest::Client,
    base: &str,
    ws_base: &str,
    players: u8,
) -> Result<Vec<Seat>, String> {
    let created: Created = post(
        http,
        &format!("{base}/api/games"),
        serde_json::json!({"numPlayers": players}),
    )
    .await?;
    let mut seats = Vec::with_capacity(usize::from(players));
    for n in 0..players {
        let joined: Joined = post(
            http,
            &format!("{base}/api/games/{}/join", created.game_id),
            serde_json::json!({"name": format!("floor-{n}")}),
        )
        .await?;
        let url = format!(
            "{ws_base}/ws?gameId={}&token={}&lastEventId=0",
            created.game_id, joined.token
        );
        // As `caravan-tools loadtest`: a 4 KiB read buffer and Nagle off.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| format!("WebSocket: {e}"))?;
        seats.push(Seat {
            seat: joined.seat,
            ws,
        });
    }
    Ok(seats)
}

async fn post<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> Result<T, String> {
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url}: {}", response.status()));
    }
    response.json().await.map_err(|e| format!("{url}: {e}"))
}

/// `{"type":"command",…}` as the generator sends it: a request id and a card play, as
/// `caravan-tools loadtest` sends one of caravan's commands.
/// Returns the request id and the frame.
fn command_frame(seat: u8, n: u64) -> (String, String) {
    let request_id = format!("s{seat}-{n}");
    let frame = format!(
        r#"{{"type":"command","requestId":"{request_id}","command":{{"type":"playCard","cardId":"M10","times":2}}}}"#
    );
    (request_id, frame)
}

/// Plays one seat until the stop: sends when an update names it as next (seat 0 starts), checks
/// the event ids, and returns the latencies of its own commands, ms.
async fn play(
    mut seat: Seat,
    counters: Arc<Counters>,
    mut stopped: watch::Receiver<bool>,
) -> Vec<f64> {
    let mut latencies = Vec::new();
    let mut sent = 0u64;
    // The request id of the command in flight, and when it left.
    let mut in_flight: Option<(String, Instant)> = None;
    let mut last = 0u64;
    if seat.seat == 0 {
        sent += 1;
        let (request_id, frame) = command_frame(seat.seat, sent);
        in_flight = Some((request_id, Instant::now()));
        if seat.ws.send(Message::text(frame)).await.is_err() {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            return latencies;
        }
    }
    loop {
        let message = tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => break,
            message = seat.ws.next() => message,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
            Some(Ok(_)) => continue,
        };
        counters.frames.fetch_add(1, Ordering::Relaxed);
        counters
            .bytes
            .fetch_add(text.len() as u64, Ordering::Relaxed);
        let Ok(update) = serde_json::from_str::<Update<'_>>(text.as_str()) else {
            // A refusal: this generator only sends on its turn.
            counters.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if update.event_id != last + 1 {
            counters.gaps.fetch_add(1, Ordering::Relaxed);
        }
        last = update.event_id;
        if update.by == seat.seat {
            if let Some((_, at)) = in_flight.take_if(|(id, _)| *id == update.request_id) {
                latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                counters.commands.fetch_add(1, Ordering::Relaxed);
            }
        }
        if update.next == seat.seat && !*stopped.borrow() {
            sent += 1;
            let (request_id, frame) = command_frame(seat.seat, sent);
            in_flight = Some((request_id, Instant::now()));
            if seat.ws.send(Message::text(frame)).await.is_err() {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), seat.ws.close(None)).await;
    latencies
}
