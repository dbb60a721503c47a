//! `caravan-tools clock`: how late the turn clock fires.
//!
//! It creates games with a short turn clock, fills their seats over REST with players that never
//! move, and lets the clock play them: every turn ends by a `TurnTimedOut` (and, after
//! `--timeouts-to-forfeit` of a seat's own turns in a row, its forfeit). Meanwhile the server
//! carries whatever load it is given (run `caravan-tools loadtest` beside it for the issue-6
//! load). At the end it reads each game's log (`GET /api/games/{id}/events`) and measures, for
//! every `TurnTimedOut`, its commit time minus the turn's deadline — the commit time of the event
//! that began the turn (`GameStarted` or `TurnEnded`) plus `turnSeconds`, as the rules define it.
//! Both times are the server's, so the figure needs no synchronised clocks.
//!
//! It fails (exit code 1) if any timeout fired before its deadline, or if no timeout was seen.

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Deserialize;

use crate::loadtest::config::parse_duration;

/// `clock` options.
#[derive(Debug, Clone, Args)]
pub struct ClockArgs {
    /// The server's base URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Games with a turn clock whose players never move.
    #[arg(long, default_value_t = 100)]
    pub games: usize,
    /// Players per game, 2–5.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=5))]
    pub players: u8,
    /// The games' `turnSeconds` (10 – 86,400).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(10..=86_400))]
    pub turn_seconds: u32,
    /// The games' `timeoutsToForfeit` (1 – 10): the most timeouts before a game ends by forfeits.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub timeouts_to_forfeit: u8,
    /// How long to let the clocks run before reading the logs: `60s`, `2m`.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// The server's admin token (exempts the many creations and joins from the per-address
    /// limits).
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

/// What the logs showed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClockReport {
    /// Games created and filled.
    pub games: usize,
    /// Each `TurnTimedOut`'s delay after its deadline, in milliseconds (negative: early).
    pub delays_ms: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    game_id: String,
}

#[derive(Deserialize)]
struct Log {
    events: Vec<LoggedEvent>,
}

/// One event of a game's log, as `GET /api/games/{id}/events` gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedEvent {
    /// Its id (1 = `GameCreated`).
    pub event_id: u64,
    /// Its type.
    pub event_type: String,
    /// When it was committed.
    pub timestamp: DateTime<Utc>,
}

/// The delay of every `TurnTimedOut` in one game's log after its deadline, in milliseconds:
/// its commit time minus (the commit time of the event that began the turn + `turn_seconds`).
pub fn delays(events: &[LoggedEvent], turn_seconds: u32) -> Vec<f64> {
    let mut began: Option<DateTime<Utc>> = None;
    let mut out = Vec::new();
    for event in events {
        match event.event_type.as_str() {
            "TurnTimedOut" => {
                if let Some(start) = began {
                    let deadline = start + chrono::Duration::seconds(i64::from(turn_seconds));
                    let late = event.timestamp - deadline;
                    out.push(late.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0);
                }
            }
            "GameStarted" | "TurnEnded" => began = Some(event.timestamp),
            _ => {}
        }
    }
    out
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("{url}: {status} {body}"));
    }
    Ok(body)
}

/// Creates one clocked game and fills its seats; its id.
async fn clocked_game(http: &reqwest::Client, args: &ClockArgs) -> Result<String, String> {
    let base = args.url.trim_end_matches('/');
    let created = post(
        http,
        &format!("{base}/api/games"),
        serde_json::json!({
            "numPlayers": args.players,
            "turnSeconds": args.turn_seconds,
            "timeoutsToForfeit": args.timeouts_to_forfeit,
        }),
    )
    .await?;
    let created: Created = serde_json::from_value(created).map_err(|e| e.to_string())?;
    for seat in 0..args.players {
        post(
            http,
            &format!("{base}/api/games/{}/join", created.game_id),
            serde_json::json!({"name": format!("idle-{seat}")}),
        )
        .await?;
    }
    Ok(created.game_id)
}

/// Every event of one game (paged, 1,000 at a time).
async fn log_of(
    http: &reqwest::Client,
    base: &str,
    game_id: &str,
) -> Result<Vec<LoggedEvent>, String> {
    let mut events: Vec<LoggedEvent> = Vec::new();
    loop {
        let after = events.last().map_or(0, |e| e.event_id);
        let url = format!("{base}/api/games/{game_id}/events?after={after}&limit=1000");
        let response = http.get(&url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url}: {}", response.status()));
        }
        let page: Log = response.json().await.map_err(|e| e.to_string())?;
        let full = page.events.len() >= 1000;
        events.extend(page.events);
        if !full {
            return Ok(events);
        }
    }
}

/// Creates the games (spread over one turn, so that their deadlines are too), waits, reads the
/// logs.
pub async fn run(args: &ClockArgs) -> Result<ClockReport, String> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = args.admin_token.as_deref() {
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| e.to_string())?;
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let started = tokio::time::Instant::now();
    let spread = Duration::from_secs(u64::from(args.turn_seconds));
    let creations: Vec<_> = (0..args.games)
        .map(|i| {
            let http = http.clone();
            let args = args.clone();
            let at = started + spread.mul_f64(i as f64 / args.games.max(1) as f64);
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                clocked_game(&http, &args).await
            })
        })
        .collect();
    let mut game_ids = Vec::with_capacity(args.games);
    for creation in creations {
        game_ids.push(creation.await.map_err(|e| e.to_string())??);
    }
    tokio::time::sleep_until(started + args.duration).await;
    let base = args.url.trim_end_matches('/');
    let mut report = ClockReport {
        games: game_ids.len(),
        delays_ms: Vec::new(),
    };
    for game_id in &game_ids {
        let events = log_of(&http, base, game_id).await?;
        report.delays_ms.extend(delays(&events, args.turn_seconds));
    }
    Ok(report)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The report as printed.
pub fn render(args: &ClockArgs, report: &ClockReport) -> String {
    let mut sorted = report.delays_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let early = sorted.iter().filter(|&&d| d < 0.0).count();
    let over_1s = sorted.iter().filter(|&&d| d > 1000.0).count();
    format!(
        "clock: {} games of {} players, turnSeconds {}, {} timeouts read from the logs\n\
         delay after the deadline (ms): p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}\n\
         early: {early}  later than 1 s: {over_1s}\n",
        report.games,
        args.players,
        args.turn_seconds,
        sorted.len(),
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.9),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or(0.0),
    )
}

/// Runs the measurement and prints its report.
pub fn main(args: ClockArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("caravan-tools clock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(report) => {
            print!("{}", render(&args, &report));
            let early = report.delays_ms.iter().any(|&d| d < 0.0);
            if early || report.delays_ms.is_empty() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("caravan-tools clock: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, kind: &str, at: &str) -> LoggedEvent {
        LoggedEvent {
            event_id: id,
            event_type: kind.to_string(),
            timestamp: at.parse().unwrap(),
        }
    }

    #[test]
    fn a_timeout_counts_from_the_commit_that_began_its_turn() {
        let log = [
            event(1, "GameCreated", "2026-01-01T00:00:00Z"),
            event(4, "GameStarted", "2026-01-01T00:00:01Z"),
            event(5, "TurnTimedOut", "2026-01-01T00:00:11.250Z"),
            event(6, "TurnEnded", "2026-01-01T00:00:11.250Z"),
            event(7, "CardPlayed", "2026-01-01T00:00:12Z"),
            event(8, "TurnEnded", "2026-01-01T00:00:12Z"),
            event(9, "TurnTimedOut", "2026-01-01T00:00:21.990Z"),
        ];
        // 10.25 s after the start, then 9.99 s after the second turn ended: early.
        assert_eq!(delays(&log, 10), vec![250.0, -10.0]);
    }

    #[test]
    fn the_report_counts_early_and_late_firings() {
        let args = ClockArgs {
            url: String::new(),
            games: 2,
            players: 2,
            turn_seconds: 10,
            timeouts_to_forfeit: 10,
            duration: Duration::from_secs(1),
            admin_token: None,
        };
        let report = ClockReport {
            games: 2,
            delays_ms: vec![5.0, -1.0, 1500.0],
        };
        let text = render(&args, &report);
        assert!(text.contains("3 timeouts"), "{text}");
        assert!(text.contains("early: 1  later than 1 s: 1"), "{text}");
    }
}
