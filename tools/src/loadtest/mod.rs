//! `caravan-tools loadtest`: plays many games against a running server through its real protocol and
//! measures it.
//!
//! Each game is created over REST, its seats joined over REST (one token per seat), and each seat
//! played by a bot on its own WebSocket. A bot connects with `lastEventId=0`, rebuilds the game from
//! the public events it receives, and on its turn sends a command from the domain's legal list
//! ([`seat`]). Every stream is checked for order and gaps ([`stream`]); any violation fails the run.
//! A finished game is replaced by a new one until the time is up. Optionally, idle spectators are
//! held open and a reconnect storm is staged ([`watch`]), and the raw insert rate of the server's
//! MongoDB measured before and after the load ([`baseline`]). The figures go to a [`Report`].
//!
//! Layout: [`config`] (command line), [`seat`] (a seat's state machine), [`stream`] (frames and the
//! order checker), [`stats`] (counters, histograms), [`report`] (JSON, summary, `/proc` readings),
//! [`watch`] (idle spectators and the storm), [`baseline`] (MongoDB driver alone); this file runs
//! the games.

pub mod baseline;
pub mod seat;
pub mod config;
pub mod report;
pub mod stats;
pub mod stream;
pub mod watch;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{watch as signal, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use caravan::domain::Seat;

use seat::{GameTrack, SeatPlayer, Step};
pub use config::{Config, LoadtestArgs};
pub use report::Report;
use stats::{Histogram, OpenConnection, Stats, Violation};
use stream::parse_frame;

/// A client WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What every task of a run shares.
pub struct Ctx {
    /// The configuration.
    pub config: Config,
    /// REST client (pooled).
    pub http: reqwest::Client,
    /// Counters.
    pub stats: Stats,
    /// Limits how many connections (and game set-ups) are being opened at once.
    pub connect: Semaphore,
    /// Games being played, for the storm to pick from.
    pub active: Mutex<HashMap<String, Arc<Mutex<GameTrack>>>>,
    deadline: OnceLock<Instant>,
}

impl Ctx {
    /// When play stops (far away until play has started).
    pub fn deadline(&self) -> Instant {
        self.deadline
            .get()
            .copied()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600))
    }

    fn stall_timeout(&self) -> Duration {
        self.config.args.stall_timeout
    }
}

/// Runs the load test from the command line: builds the runtime, prints the summary, writes the
/// JSON report. Exit code 0 when the run passed, 1 when it failed, 2 for bad arguments.
pub fn main(args: LoadtestArgs) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let config = match Config::new(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("caravan-tools loadtest: {e}");
            return ExitCode::from(2);
        }
    };
    let threads = config
        .args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("caravan-tools loadtest: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = config.args.json.clone();
    let mut report = runtime.block_on(run(config));
    report.settings.threads = threads;
    print!("{}", report.summary());
    if let Some(path) = json {
        let text = match serde_json::to_string_pretty(&report) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("caravan-tools loadtest: cannot encode the report: {e}");
                return ExitCode::FAILURE;
            }
        };
        if path == "-" {
            println!("{text}");
        } else if let Err(e) = std::fs::write(&path, text + "\n") {
            eprintln!("caravan-tools loadtest: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the load test in the current tokio runtime and reports. Never panics on server faults: they
/// are counted as errors or violations.
pub async fn run(config: Config) -> Report {
    let args = config.args.clone();
    let needed = args.games * usize::from(args.players) + args.idle + args.reconnect_storm;
    let fd_limit = report::fd_limit();
    if let Some(limit) = fd_limit {
        if (limit as usize) < needed + 64 {
            eprintln!(
                "caravan-tools loadtest: warning: {needed} connections wanted but the open-file limit is {limit}; raise it with `ulimit -n {}`",
                needed + 1024
            );
        }
    }
    let server_pid = args
        .server_pid
        .or_else(|| config.local.then(report::find_server_pid).flatten());
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = args.admin_token.as_deref() {
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.connect_concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let ctx = Arc::new(Ctx {
        http,
        stats: Stats::default(),
        connect: Semaphore::new(args.connect_concurrency),
        active: Mutex::new(HashMap::new()),
        deadline: OnceLock::new(),
        config,
    });
    let rss_start = server_pid.and_then(report::rss_mib);
    let mut baseline = match &args.mongo_baseline {
        Some(uri) => {
            let binary = baseline::caravan_binary(args.caravan_bin.as_ref());
            Some(report::MongoBaseline::before(binary, uri, args.games, args.baseline_time).await)
        }
        None => None,
    };

    // Idle spectators first, so their memory is read before the games add theirs.
    let (stop_idle, idle_stop) = signal::channel(false);
    let idle = if args.idle > 0 {
        Some(watch::hold_idle(ctx.clone(), args.idle, idle_stop, server_pid, rss_start).await)
    } else {
        None
    };

    let start = Instant::now();
    let deadline = start + args.duration;
    let _ = ctx.deadline.set(deadline);
    let load_start = report::loadavg();
    let cpu_start = server_pid.and_then(report::cpu_secs);
    let own_cpu_start = report::cpu_secs(std::process::id());
    let (stop_sampler, sampler_stop) = signal::channel(false);
    let sampler = tokio::spawn(sample(ctx.clone(), server_pid, sampler_stop));
    let storm = (args.reconnect_storm > 0).then(|| {
        tokio::spawn(watch::storm(
            ctx.clone(),
            args.reconnect_storm,
            start + ctx.config.storm_at(),
        ))
    });
    let drivers: Vec<_> = (0..args.games)
        .map(|slot| tokio::spawn(drive(ctx.clone(), slot)))
        .collect();
    for driver in drivers {
        let _ = driver.await;
    }
    // Without games (an idle-only run) the connections are still held for the whole duration.
    tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
    let play_secs = args.duration.as_secs_f64();
    let load_end = report::loadavg();
    let cpu_end = server_pid.and_then(report::cpu_secs);
    let own_cpu_end = report::cpu_secs(std::process::id());
    let storm = match storm {
        Some(task) => task.await.ok(),
        None => None,
    };
    let _ = stop_sampler.send(true);
    let Samples {
        timeline,
        seconds,
        rss_peak,
    } = sampler.await.unwrap_or_default();
    let rss_end = server_pid.and_then(report::rss_mib);
    let _ = stop_idle.send(true);
    let idle = match idle {
        Some(mut idle) => {
            idle.finish().await;
            Some(idle.report)
        }
        None => None,
    };
    if let Some(baseline) = baseline.as_mut() {
        baseline.after(args.baseline_time).await;
    }

    build_report(BuildInput {
        ctx: &ctx,
        play_secs,
        timeline,
        seconds,
        server_pid,
        rss: (rss_start, rss_peak, rss_end),
        server_cpu: cpu_start.zip(cpu_end).map(|(a, b)| (b - a) / play_secs),
        own_cpu: own_cpu_start
            .zip(own_cpu_end)
            .map_or(0.0, |(a, b)| (b - a) / play_secs),
        idle,
        storm,
        fd_limit,
        loadavg: (load_start, load_end),
        baseline,
    })
}

struct BuildInput<'a> {
    ctx: &'a Ctx,
    play_secs: f64,
    timeline: Vec<u64>,
    seconds: Vec<Histogram>,
    server_pid: Option<u32>,
    rss: (Option<f64>, Option<f64>, Option<f64>),
    server_cpu: Option<f64>,
    own_cpu: f64,
    idle: Option<report::IdleReport>,
    storm: Option<report::StormReport>,
    fd_limit: Option<u64>,
    loadavg: (String, String),
    baseline: Option<report::MongoBaseline>,
}

fn build_report(input: BuildInput<'_>) -> Report {
    let BuildInput {
        ctx,
        play_secs,
        timeline,
        seconds,
        server_pid,
        rss,
        server_cpu,
        own_cpu,
        idle,
        storm,
        fd_limit,
        loadavg,
        baseline,
    } = input;
    let args = &ctx.config.args;
    let s = &ctx.stats;
    let get = Stats::get;
    let (total, by_kind, examples) = s.violations();
    let ok = get(&s.commands_ok);
    let steady_range = steady_seconds(timeline.len(), args.ramp_up);
    let mut steady = timeline[steady_range.clone()].to_vec();
    steady.sort_unstable();
    let mut steady_latency = Histogram::default();
    for second in seconds.get(steady_range).unwrap_or_default() {
        steady_latency.merge(second);
    }
    let mut failures = Vec::new();
    if total > 0 {
        failures.push(format!("{total} stream violations"));
    }
    if args.games > 0 && ok == 0 {
        failures.push("no command was accepted".into());
    }
    if let Some(idle) = &idle {
        if idle.connected == 0 && idle.requested > 0 {
            failures.push("no idle spectator could connect".into());
        }
    }
    if let Some(error) = baseline.as_ref().and_then(|b| b.error.as_ref()) {
        failures.push(format!(
            "the MongoDB baseline could not be measured: {error}"
        ));
    }
    let delivered = get(&s.events_delivered);
    let per_command = |cores: f64| {
        if ok == 0 {
            0.0
        } else {
            cores * play_secs * 1000.0 / ok as f64
        }
    };
    Report {
        settings: report::ReportSettings {
            url: args.url.clone(),
            games: args.games,
            players: args.players,
            duration_secs: args.duration.as_secs_f64(),
            idle: args.idle,
            reconnect_storm: args.reconnect_storm,
            think_ms: args.think.as_secs_f64() * 1000.0,
            ramp_up_secs: args.ramp_up.as_secs_f64(),
            storm_behind: args.storm_behind,
            seed: args.seed,
            threads: 0,
        },
        machine: report::Machine::read(),
        duration_secs: play_secs,
        games: report::GameCounts {
            started: get(&s.games_started),
            completed: get(&s.games_completed),
            unfinished: get(&s.games_unfinished),
            abandoned: get(&s.games_abandoned),
        },
        commands: report::CommandCounts {
            sent: get(&s.commands_sent),
            ok,
            refused: get(&s.commands_refused),
            per_sec: ok as f64 / play_secs,
            per_sec_min: steady.first().copied().unwrap_or(0),
            per_sec_median: steady.get(steady.len() / 2).copied().unwrap_or(0),
        },
        events: report::EventCounts {
            delivered,
            per_sec: delivered as f64 / play_secs,
            frames: get(&s.frames_received),
            mib_received: get(&s.bytes_received) as f64 / (1024.0 * 1024.0),
        },
        latency: report::Latencies {
            command_to_result: s.result_latency.lock().summary(),
            command_to_result_steady: steady_latency.summary(),
            command_to_result_p99_per_second_ms: seconds
                .iter()
                .map(|second| second.quantile(0.99) as f64 / 1000.0)
                .collect(),
            command_to_last_player: s.delivery_latency.lock().summary(),
        },
        errors: s.errors(),
        violations: report::Violations {
            total,
            by_kind: by_kind
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            examples: examples
                .into_iter()
                .map(|v| format!("{}: {}", v.kind, v.detail))
                .collect(),
        },
        connections: report::Connections {
            opened: get(&s.connections_opened),
            peak: s
                .connections_peak
                .load(std::sync::atomic::Ordering::Relaxed),
            reconnects: get(&s.reconnects),
            fd_limit,
        },
        server: server_pid.map(|pid| report::ServerReadings {
            pid,
            rss_start_mib: rss.0.unwrap_or(0.0),
            rss_peak_mib: rss.1.unwrap_or(0.0),
            rss_end_mib: rss.2.unwrap_or(0.0),
            cpu_cores: server_cpu.unwrap_or(0.0),
            cpu_ms_per_command: per_command(server_cpu.unwrap_or(0.0)),
        }),
        generator_cpu_cores: own_cpu,
        generator_cpu_ms_per_command: per_command(own_cpu),
        loadavg,
        idle,
        storm,
        mongo_baseline: baseline,
        timeline,
        passed: failures.is_empty(),
        failures,
    }
}

/// What the sampler saw, second by second.
#[derive(Debug, Default)]
struct Samples {
    /// Commands answered in each second.
    timeline: Vec<u64>,
    /// Command→result latencies of each second.
    seconds: Vec<Histogram>,
    /// The server's peak RSS, MiB.
    rss_peak: Option<f64>,
}

/// Once a second: commands answered in that second and their latencies, the server's peak RSS, and
/// a progress line.
async fn sample(
    ctx: Arc<Ctx>,
    server_pid: Option<u32>,
    mut stop: signal::Receiver<bool>,
) -> Samples {
    let mut timeline = Vec::new();
    let mut seconds = Vec::new();
    let mut peak: Option<f64> = server_pid.and_then(report::rss_mib);
    let mut previous = 0;
    let mut previous_events = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let ok = Stats::get(&ctx.stats.commands_ok);
        let events = Stats::get(&ctx.stats.events_delivered);
        timeline.push(ok - previous);
        seconds.push(std::mem::take(&mut *ctx.stats.result_window.lock()));
        let rss = server_pid.and_then(report::rss_mib);
        if let Some(rss) = rss {
            peak = Some(peak.map_or(rss, |p: f64| p.max(rss)));
        }
        if !ctx.config.args.quiet && timeline.len() % 5 == 0 {
            eprintln!(
                "[{:>4}s] {:>6} commands/s, {:>7} events/s, {} connections, {} games completed{}",
                timeline.len(),
                ok - previous,
                events - previous_events,
                ctx.stats
                    .connections_open
                    .load(std::sync::atomic::Ordering::Relaxed),
                Stats::get(&ctx.stats.games_completed),
                rss.map(|r| format!(", server RSS {r:.0} MiB"))
                    .unwrap_or_default()
            );
        }
        previous = ok;
        previous_events = events;
    }
    Samples {
        timeline,
        seconds,
        rss_peak: peak,
    }
}

/// How one game went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GameEnd {
    Completed,
    Unfinished,
    Abandoned,
    SetupFailed,
}

/// Plays games in one slot, one after the other, until the deadline.
async fn drive(ctx: Arc<Ctx>, slot: usize) {
    let args = &ctx.config.args;
    tokio::time::sleep(start_delay(args.ramp_up, slot, args.games)).await;
    let mut round = 0u64;
    while Instant::now() < ctx.deadline() {
        let end = play_game(&ctx, slot, round).await;
        round += 1;
        let counter = match end {
            GameEnd::Completed => &ctx.stats.games_completed,
            GameEnd::Unfinished => &ctx.stats.games_unfinished,
            GameEnd::Abandoned => &ctx.stats.games_abandoned,
            GameEnd::SetupFailed => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        Stats::bump(counter);
    }
}

/// When game slot `slot` of `games` starts within a ramp-up of `ramp`: evenly spread, slot 0 at once.
fn start_delay(ramp: Duration, slot: usize, games: usize) -> Duration {
    if games == 0 {
        return Duration::ZERO;
    }
    ramp.mul_f64(slot as f64 / games as f64)
}

/// The steady seconds of a run that lasted `seconds` whole or partial seconds: after the ramp-up
/// and two more, without the last (partial) one; empty when the run was too short to have any.
fn steady_seconds(seconds: usize, ramp: Duration) -> std::ops::Range<usize> {
    let first = 2 + ramp.as_secs_f64().ceil() as usize;
    if seconds > first + 1 {
        first..seconds - 1
    } else {
        0..0
    }
}

/// `think` scaled by a factor between 0.5 and 1.5 drawn from `seed`.
fn thinking_time(think: Duration, seed: u64) -> Duration {
    let unit = (seed >> 11) as f64 / (1u64 << 53) as f64;
    think.mul_f64(0.5 + unit)
}

/// A seed for game `round` of `slot` (splitmix64 of the run's seed and both).
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    game_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinedSeat {
    seat: Seat,
    token: String,
}

/// `POST` JSON and read the answer; an error is the protocol's error code (or `http_<status>`).
pub(crate) async fn post_json<T: DeserializeOwned>(
    ctx: &Ctx,
    path: &str,
    body: &serde_json::Value,
    bearer: Option<&str>,
) -> Result<T, String> {
    let mut request = ctx
        .http
        .post(format!("{}{path}", ctx.config.http_base))
        .json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            "http_timeout".to_string()
        } else if e.is_connect() {
            "http_connect".to_string()
        } else {
            "http_transport".to_string()
        }
    })?;
    let status = response.status();
    if status.is_success() {
        return response
            .json::<T>()
            .await
            .map_err(|_| "http_bad_body".to_string());
    }
    let body: Option<serde_json::Value> = response.json().await.ok();
    Err(body
        .as_ref()
        .and_then(|b| b["error"]["code"].as_str())
        .map_or_else(|| format!("http_{}", status.as_u16()), str::to_string))
}

/// Creates a game over REST, with `seed` when the admin token is given (only an admin may choose
/// one).
pub(crate) async fn create_game(ctx: &Ctx, players: u8, seed: u64) -> Result<String, String> {
    let body = match ctx.config.args.admin_token {
        Some(_) => serde_json::json!({"numPlayers": players, "seed": seed}),
        None => serde_json::json!({"numPlayers": players}),
    };
    let created: Created = post_json(
        ctx,
        "/api/games",
        &body,
        ctx.config.args.admin_token.as_deref(),
    )
    .await?;
    Ok(created.game_id)
}

/// Resolves once the flag is set (or its sender is gone).
pub(crate) async fn until_set(flag: &mut signal::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}

/// Read buffer of each client socket. tungstenite's default (128 KiB) is zero-filled on every read,
/// which made `memset` the generator's largest cost, and would take 1.3 GB for 10,000 idle sockets.
/// Frames here are a few KiB; a longer one takes more reads.
const READ_BUFFER: usize = 4 * 1024;

/// Opens a WebSocket (Nagle off, so small frames leave at once), with the admin token in the
/// handshake's `Authorization` header when one is given.
pub(crate) async fn connect_ws(ctx: &Ctx, url: &str) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let mut request = url
        .into_client_request()
        .map_err(|_| "ws_url".to_string())?;
    if let Some(token) = ctx.config.args.admin_token.as_deref() {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| "ws_admin_token".to_string())?;
        request.headers_mut().insert("authorization", value);
    }
    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    match tokio::time::timeout(Duration::from_secs(15), connect).await {
        Err(_) => Err("ws_connect_timeout".into()),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            Err(format!("ws_http_{}", response.status().as_u16()))
        }
        Ok(Err(_)) => Err("ws_connect".into()),
        Ok(Ok((ws, _))) => Ok(ws),
    }
}

/// Closes a WebSocket politely, without waiting long.
pub(crate) async fn close_ws(mut ws: Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
}

/// Creates, joins and plays one game to its end (or the deadline).
async fn play_game(ctx: &Arc<Ctx>, slot: usize, round: u64) -> GameEnd {
    let args = &ctx.config.args;
    let seed = mix(args.seed, slot as u64, round);
    let setup = async {
        let game_id = create_game(ctx, args.players, seed).await?;
        let mut seats = Vec::with_capacity(usize::from(args.players));
        for seat in 0..args.players {
            let joined: JoinedSeat = post_json(
                ctx,
                &format!("/api/games/{game_id}/join"),
                &serde_json::json!({"name": format!("bot{slot}-{seat}")}),
                None,
            )
            .await?;
            seats.push(joined);
        }
        Ok::<_, String>((game_id, seats))
    };
    let setup = {
        let _permit = ctx.connect.acquire().await;
        setup.await
    };
    let (game_id, seats) = match setup {
        Ok(setup) => setup,
        Err(code) => {
            ctx.stats.error(&code);
            return GameEnd::SetupFailed;
        }
    };
    Stats::bump(&ctx.stats.games_started);
    let track = Arc::new(Mutex::new(GameTrack::new(usize::from(args.players))));
    ctx.active.lock().insert(game_id.clone(), track.clone());
    let (abort, aborted) = signal::channel(false);
    let abort = Arc::new(abort);
    let tasks: Vec<_> = seats
        .into_iter()
        .map(|joined| {
            let bot = SeatPlayer::new(&game_id, joined.seat, mix(seed, 7, u64::from(joined.seat)));
            tokio::spawn(play_seat(
                ctx.clone(),
                bot,
                joined.token,
                track.clone(),
                abort.clone(),
                aborted.clone(),
            ))
        })
        .collect();
    let mut ends = Vec::with_capacity(tasks.len());
    for task in tasks {
        ends.push(task.await.unwrap_or(SeatEnd::Abandoned));
    }
    ctx.active.lock().remove(&game_id);
    if ends.iter().all(|e| *e == SeatEnd::Finished) {
        GameEnd::Completed
    } else if ends.contains(&SeatEnd::Abandoned) {
        GameEnd::Abandoned
    } else {
        GameEnd::Unfinished
    }
}

/// How a seat's play ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeatEnd {
    Finished,
    Unfinished,
    Abandoned,
}

/// How one connection of a seat ended.
enum Conversation {
    Finished,
    Deadline,
    GaveUp,
    Lost,
}

/// Reconnects a seat may make in one game.
const MAX_RECONNECTS: u32 = 3;

/// Plays one seat: connect with `lastEventId`, converse, reconnect when the connection drops.
async fn play_seat(
    ctx: Arc<Ctx>,
    mut bot: SeatPlayer,
    token: String,
    track: Arc<Mutex<GameTrack>>,
    abort: Arc<signal::Sender<bool>>,
    mut aborted: signal::Receiver<bool>,
) -> SeatEnd {
    let mut reconnects = 0;
    loop {
        let url = format!(
            "{}/ws?gameId={}&token={}&lastEventId={}",
            ctx.config.ws_base,
            bot.game_id(),
            token,
            bot.last_event_id()
        );
        let connected = {
            let _permit = ctx.connect.acquire().await;
            connect_ws(&ctx, &url).await
        };
        let mut ws = match connected {
            Ok(ws) => ws,
            Err(code) => {
                ctx.stats.error(&code);
                abort.send_replace(true);
                return SeatEnd::Abandoned;
            }
        };
        let open = OpenConnection::new(&ctx.stats);
        let outcome = converse(&ctx, &mut ws, &mut bot, &track, &mut aborted).await;
        drop(open);
        match outcome {
            Conversation::Finished => {
                close_ws(ws).await;
                return SeatEnd::Finished;
            }
            Conversation::Deadline => {
                close_ws(ws).await;
                return SeatEnd::Unfinished;
            }
            Conversation::GaveUp => {
                abort.send_replace(true);
                close_ws(ws).await;
                return SeatEnd::Abandoned;
            }
            Conversation::Lost => {
                drop(ws);
                reconnects += 1;
                if Instant::now() >= ctx.deadline() {
                    return SeatEnd::Unfinished;
                }
                if reconnects > MAX_RECONNECTS {
                    ctx.stats.error("too_many_reconnects");
                    abort.send_replace(true);
                    return SeatEnd::Abandoned;
                }
                Stats::bump(&ctx.stats.reconnects);
                bot.disconnected();
            }
        }
    }
}

/// Reads frames and answers them until the game ends, the deadline passes, or the connection drops.
async fn converse(
    ctx: &Ctx,
    ws: &mut Ws,
    bot: &mut SeatPlayer,
    track: &Mutex<GameTrack>,
    aborted: &mut signal::Receiver<bool>,
) -> Conversation {
    let deadline = tokio::time::Instant::from_std(ctx.deadline());
    let think = ctx.config.args.think;
    let mut thoughts = 0u64;
    // A command waiting for its time: after the bot's thinking (`true`: latency counts from when it
    // leaves), or a rate-limited one to send again (`false`: latency still counts from the first try).
    let mut pending: Option<(String, bool)> = None;
    // The timers live as long as the conversation and are moved only when needed: arming new ones
    // for every frame cost the generator more than reading the frame.
    let end = tokio::time::sleep_until(deadline);
    let send_at = tokio::time::sleep_until(deadline);
    let stall = tokio::time::sleep_until(tokio::time::Instant::now() + ctx.stall_timeout());
    tokio::pin!(end, send_at, stall);
    let mut heard = tokio::time::Instant::now();
    loop {
        let message = tokio::select! {
            biased;
            () = &mut end => return Conversation::Deadline,
            _ = until_set(aborted) => return Conversation::GaveUp,
            message = ws.next() => {
                heard = tokio::time::Instant::now();
                Ok(message)
            }
            () = &mut send_at, if pending.is_some() => {
                if let Some((text, first)) = pending.take() {
                    if first {
                        bot.mark_sent(Instant::now());
                    }
                    if ws.send(Message::text(text)).await.is_err() {
                        ctx.stats.error("ws_write");
                        return Conversation::Lost;
                    }
                }
                continue;
            }
            () = &mut stall => {
                // Once the game has ended only the last markers are awaited.
                let quiet = if bot.ended() {
                    Duration::from_secs(2)
                } else {
                    ctx.stall_timeout()
                };
                if heard.elapsed() < quiet {
                    stall.as_mut().reset(heard + quiet);
                    continue;
                }
                Err(())
            }
        };
        let message = match message {
            Err(_) if bot.ended() => return Conversation::Finished,
            Err(_) => {
                ctx.stats.error("stalled");
                return Conversation::GaveUp;
            }
            Ok(None) => return Conversation::Lost,
            Ok(Some(Err(_))) => {
                ctx.stats.error("ws_read");
                return Conversation::Lost;
            }
            Ok(Some(Ok(message))) => message,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return Conversation::Lost,
            Message::Binary(_) => {
                ctx.stats.error("binary_frame");
                continue;
            }
            // tungstenite answers pings by itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        let now = Instant::now();
        Stats::bump(&ctx.stats.frames_received);
        ctx.stats
            .bytes_received
            .fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let frame = match parse_frame(text.as_str()) {
            Ok(frame) => frame,
            Err(detail) => {
                ctx.stats.violation(Violation {
                    kind: "unreadable",
                    detail: format!("game {} seat {}: {detail}", bot.game_id(), bot.seat()),
                });
                return Conversation::GaveUp;
            }
        };
        let step = bot.on_frame(frame, now, &ctx.stats, &mut track.lock());
        match step {
            Step::Continue => {}
            Step::Send(text) if think.is_zero() => {
                bot.mark_sent(Instant::now());
                if ws.send(Message::text(text)).await.is_err() {
                    ctx.stats.error("ws_write");
                    return Conversation::Lost;
                }
            }
            Step::Send(text) => {
                thoughts += 1;
                let seed = mix(ctx.config.args.seed, u64::from(bot.seat()), thoughts);
                send_at
                    .as_mut()
                    .reset(tokio::time::Instant::now() + thinking_time(think, seed));
                pending = Some((text, true));
            }
            Step::Retry(text) => {
                send_at
                    .as_mut()
                    .reset(tokio::time::Instant::now() + seat::RETRY_AFTER);
                pending = Some((text, false));
            }
            Step::Finished => return Conversation::Finished,
            Step::GiveUp(_) => return Conversation::GaveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ramp_up_spreads_the_game_starts_evenly() {
        let ramp = Duration::from_secs(5);
        assert_eq!(start_delay(ramp, 0, 1000), Duration::ZERO);
        assert_eq!(start_delay(ramp, 500, 1000), Duration::from_millis(2500));
        assert_eq!(start_delay(ramp, 999, 1000), Duration::from_millis(4995));
        assert_eq!(start_delay(Duration::ZERO, 999, 1000), Duration::ZERO);
        assert_eq!(start_delay(ramp, 0, 0), Duration::ZERO);
    }

    #[test]
    fn steady_seconds_leave_out_the_ramp_up_and_the_last_second() {
        assert_eq!(steady_seconds(30, Duration::ZERO), 2..29);
        assert_eq!(steady_seconds(30, Duration::from_secs(5)), 7..29);
        assert_eq!(steady_seconds(30, Duration::from_millis(4500)), 7..29);
        assert_eq!(steady_seconds(8, Duration::from_secs(5)), 0..0);
        assert_eq!(steady_seconds(3, Duration::ZERO), 0..0);
        assert_eq!(steady_seconds(4, Duration::ZERO), 2..3);
    }

    #[test]
    fn thinking_times_spread_around_the_given_one() {
        let think = Duration::from_millis(100);
        let times: Vec<Duration> = (0..1000)
            .map(|i| thinking_time(think, mix(3, 1, i)))
            .collect();
        assert!(times.iter().all(|t| *t >= think / 2 && *t <= think * 3 / 2));
        let mean = times.iter().sum::<Duration>() / 1000;
        assert!(
            mean > Duration::from_millis(90) && mean < Duration::from_millis(110),
            "{mean:?}"
        );
        assert_eq!(thinking_time(Duration::ZERO, 7), Duration::ZERO);
    }

    #[test]
    fn seeds_differ_by_slot_and_round() {
        let a = mix(1, 0, 0);
        assert_ne!(a, mix(1, 1, 0));
        assert_ne!(a, mix(1, 0, 1));
        assert_ne!(a, mix(2, 0, 0));
        assert_eq!(a, mix(1, 0, 0));
    }
}
