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
//! order checker), [`stats`] (counters, histograms), [`report`] (JSON, summary), [`procfs`] (`/proc`
//! readings), [`watch`] (idle spectators and the storm), [`baseline`] (MongoDB driver alone),
//! [`schema`] (the first frames of each kind against the server's `/api/schema/ws.json`),
//! `games.rs` (the games played), `tally.rs` (the sampler and the report's making); this file runs
//! the whole and holds the REST and WebSocket helpers.

pub mod baseline;
pub mod config;
mod games;
pub mod procfs;
pub mod report;
pub mod schema;
pub mod seat;
pub mod stats;
pub mod stream;
mod tally;
pub mod watch;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{watch as signal, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use caravan::domain::Seat;

pub use config::{Config, LoadtestArgs};
use games::drive;
pub use report::Report;
use seat::GameTrack;
use stats::Stats;
use tally::{build_report, sample, BuildInput, Samples};

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
    /// The server's WebSocket schema, held against the first frames of each kind.
    pub schema: schema::FrameSchema,
    deadline: OnceLock<Instant>,
}

impl Ctx {
    /// Records a violation when `text` is among the first frames of its kind and the server's
    /// schema refuses it.
    pub fn check_schema(&self, text: &str) {
        if let Some(detail) = self.schema.check(text) {
            self.stats.violation(stats::Violation {
                kind: "schema",
                detail,
            });
        }
    }
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
    let (runtime, threads) = match crate::load_runtime(config.args.threads) {
        Ok(started) => started,
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
    let fd_limit = procfs::fd_limit();
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
        .or_else(|| config.local.then(procfs::find_server_pid).flatten());
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
    let schema = schema::FrameSchema::fetch(&http, &args.url).await;
    let ctx = Arc::new(Ctx {
        schema,
        http,
        stats: Stats::default(),
        connect: Semaphore::new(args.connect_concurrency),
        active: Mutex::new(HashMap::new()),
        deadline: OnceLock::new(),
        config,
    });
    let rss_start = server_pid.and_then(procfs::rss_mib);
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
    let load_start = procfs::loadavg();
    let cpu_start = server_pid.and_then(procfs::cpu_secs);
    let own_cpu_start = procfs::cpu_secs(std::process::id());
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
    let load_end = procfs::loadavg();
    let cpu_end = server_pid.and_then(procfs::cpu_secs);
    let own_cpu_end = procfs::cpu_secs(std::process::id());
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
    let rss_end = server_pid.and_then(procfs::rss_mib);
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
