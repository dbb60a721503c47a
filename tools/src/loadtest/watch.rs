//! Spectators: idle connections held open for the whole run (memory per connection), and the
//! reconnect storm (clients dropped together mid-run that resume with `lastEventId`).
//!
//! The storm's clients are spectators of running games, so that the games go on while they are
//! away and each really misses events (a dropped player would stall its own game on its turn).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{mpsc, watch as signal};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::report::{IdleReport, StormReport};
use super::stats::{Histogram, OpenConnection, Stats, Violation};
use super::stream::{parse_frame, Frame, StreamChecker};
use super::{close_ws, connect_ws, create_game, Ctx, Ws};

/// Longest wait for a welcome or a catch-up after connecting.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

mod storm;
pub use storm::storm;

/// Idle spectators being held, and what is known about them so far.
pub struct IdleHold {
    /// The figures (`open_at_end` is filled by [`IdleHold::finish`]).
    pub report: IdleReport,
    tasks: Vec<JoinHandle<bool>>,
}

impl IdleHold {
    /// Waits for the spectators to close (after the stop signal) and counts those still open then.
    pub async fn finish(&mut self) {
        let mut open = 0;
        for task in self.tasks.drain(..) {
            if task.await.unwrap_or(false) {
                open += 1;
            }
        }
        self.report.open_at_end = open;
    }
}

/// Opens `n` spectator connections on games that never start, and returns once each has connected
/// or failed; they stay open until `stop`.
pub async fn hold_idle(
    ctx: Arc<Ctx>,
    n: usize,
    stop: signal::Receiver<bool>,
    server_pid: Option<u32>,
    rss_before: Option<f64>,
) -> IdleHold {
    let started = Instant::now();
    let per_game = ctx.config.args.idle_per_game;
    let mut games = Vec::new();
    for i in 0..n.div_ceil(per_game) {
        match create_game(&ctx, 2, ctx.config.args.seed ^ (0x1D1E << 16) ^ i as u64).await {
            Ok(id) => games.push(id),
            Err(code) => ctx.stats.error(&code),
        }
    }
    let mut report = IdleReport {
        requested: n,
        ..IdleReport::default()
    };
    if games.is_empty() {
        report.failed = n as u64;
        return IdleHold {
            report,
            tasks: Vec::new(),
        };
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let tasks = (0..n)
        .map(|i| {
            let game_id = games[i % games.len()].clone();
            tokio::spawn(idle_spectator(
                ctx.clone(),
                game_id,
                stop.clone(),
                tx.clone(),
            ))
        })
        .collect();
    drop(tx);
    while let Some(connected) = rx.recv().await {
        if connected {
            report.connected += 1;
        } else {
            report.failed += 1;
        }
    }
    report.connect_secs = started.elapsed().as_secs_f64();
    if let Some(pid) = server_pid {
        // Let the server settle before reading its memory.
        tokio::time::sleep(Duration::from_millis(500)).await;
        report.server_rss_mib = super::procfs::rss_mib(pid);
        if let (Some(after), Some(before)) = (report.server_rss_mib, rss_before) {
            if report.connected > 0 {
                report.server_kib_per_connection =
                    Some((after - before) * 1024.0 / report.connected as f64);
            }
        }
    }
    if !ctx.config.args.quiet {
        eprintln!(
            "idle: {}/{} spectators connected in {:.1}s{}",
            report.connected,
            n,
            report.connect_secs,
            report
                .server_rss_mib
                .map(|r| format!(", server RSS {r:.1} MiB"))
                .unwrap_or_default()
        );
    }
    IdleHold { report, tasks }
}

/// Connects as a spectator and waits for the welcome: the socket and the checker from there.
async fn spectate(ctx: &Ctx, game_id: &str, label: String) -> Result<(Ws, StreamChecker), String> {
    let url = format!("{}/ws?gameId={game_id}", ctx.config.ws_base);
    let mut ws = {
        let _permit = ctx.connect.acquire().await;
        connect_ws(ctx, &url).await?
    };
    let welcome = tokio::time::timeout(HELLO_TIMEOUT, async {
        while let Some(message) = ws.next().await {
            let Ok(Message::Text(text)) = message else {
                if message.is_err() {
                    return Err("ws_read".to_string());
                }
                continue;
            };
            Stats::bump(&ctx.stats.frames_received);
            ctx.check_schema(text.as_str());
            match parse_frame(text.as_str()) {
                Ok(Frame::Welcome { last_event_id }) => return Ok(last_event_id),
                Ok(Frame::Error { code }) => return Err(code),
                Ok(_) => return Err("no_welcome".to_string()),
                Err(_) => return Err("unreadable_welcome".to_string()),
            }
        }
        Err("ws_closed".to_string())
    })
    .await
    .unwrap_or_else(|_| Err("welcome_timeout".into()))?;
    Ok((ws, StreamChecker::new(label, welcome)))
}

/// Checks one frame a spectator received. `Err` on a violation (already recorded).
fn check_frame(ctx: &Ctx, checker: &mut StreamChecker, text: &str) -> Result<Option<Frame>, ()> {
    Stats::bump(&ctx.stats.frames_received);
    ctx.stats
        .bytes_received
        .fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
    ctx.check_schema(text);
    let frame = match parse_frame(text) {
        Ok(frame) => frame,
        Err(detail) => {
            ctx.stats.violation(Violation {
                kind: "unreadable",
                detail,
            });
            return Err(());
        }
    };
    let checked = match &frame {
        Frame::Event { event_id, .. } => {
            Stats::bump(&ctx.stats.events_delivered);
            checker.event(*event_id)
        }
        Frame::Update {
            last_event_id,
            events,
            ..
        } => {
            for _ in events {
                Stats::bump(&ctx.stats.events_delivered);
            }
            checker.update(events.iter().map(|(id, _)| *id), *last_event_id)
        }
        Frame::State { last_event_id } => checker.marker("state", *last_event_id),
        Frame::CaughtUp { last_event_id } => checker.marker("caughtUp", *last_event_id),
        _ => Ok(()),
    };
    match checked {
        Ok(()) => Ok(Some(frame)),
        Err(v) => {
            ctx.stats.violation(v);
            Err(())
        }
    }
}

/// One idle spectator: reports whether it connected, then holds on until `stop`. Returns whether it
/// was still open then.
async fn idle_spectator(
    ctx: Arc<Ctx>,
    game_id: String,
    mut stop: signal::Receiver<bool>,
    connected: mpsc::UnboundedSender<bool>,
) -> bool {
    let (mut ws, mut checker) =
        match spectate(&ctx, &game_id, format!("idle spectator of {game_id}")).await {
            Ok(pair) => pair,
            Err(code) => {
                ctx.stats.error(&format!("idle_{code}"));
                let _ = connected.send(false);
                return false;
            }
        };
    let _ = connected.send(true);
    drop(connected);
    let _open = OpenConnection::new(&ctx.stats);
    loop {
        tokio::select! {
            _ = super::until_set(&mut stop) => {
                close_ws(ws).await;
                return true;
            }
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if check_frame(&ctx, &mut checker, text.as_str()).is_err() {
                        return false;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    ctx.stats.error("idle_dropped");
                    return false;
                }
                Some(Ok(_)) => {}
            }
        }
    }
}
