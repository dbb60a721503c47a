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

/// Stages the reconnect storm at `at`: `k` spectators join running games (the youngest first), follow
/// them for a second, are dropped all at once, stay away until their games have moved on by
/// `--storm-behind` events (or ended, or `--storm-wait` passed), then reconnect all at once with
/// their `lastEventId`. Measures the time from the reconnect burst to each one's `caughtUp`.
pub async fn storm(ctx: Arc<Ctx>, k: usize, at: Instant) -> StormReport {
    let mut report = StormReport {
        clients: k,
        ..StormReport::default()
    };
    tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
    let mut games: Vec<_> = ctx
        .active
        .lock()
        .iter()
        .map(|(id, track)| {
            let t = track.lock();
            (t.version(), t.ended, id.clone(), track.clone())
        })
        .filter(|(version, ended, _, _)| *version > 0 && !ended)
        .collect();
    if games.is_empty() {
        ctx.stats.error("storm_no_running_game");
        report.failed = k as u64;
        return report;
    }
    games.sort_by_key(|(version, ..)| *version);
    let picks: Vec<_> = (0..k)
        .map(|i| {
            let (_, _, id, track) = &games[i % games.len()];
            (id.clone(), track.clone())
        })
        .collect();

    // 1. Connect and follow live; dropped together on the signal.
    let (drop_all, dropped) = signal::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let followers: Vec<_> = picks
        .iter()
        .map(|(game_id, _)| {
            tokio::spawn(follow_until_dropped(
                ctx.clone(),
                game_id.clone(),
                dropped.clone(),
                ready_tx.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    while ready_rx.recv().await.is_some() {}
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = drop_all.send(true);
    let dropped_at = Instant::now();
    let mut away = Vec::new();
    for (task, (game_id, track)) in followers.into_iter().zip(picks) {
        match task.await.ok().flatten() {
            Some(last) => away.push((game_id, track, last)),
            None => report.failed += 1,
        }
    }
    report.dropped = away.len() as u64;
    if !ctx.config.args.quiet {
        eprintln!("storm: {} clients dropped", away.len());
    }

    // 2. Stay away until each game has moved on (or ended, or the wait is over).
    let behind_wanted = ctx.config.args.storm_behind;
    let wait_until = dropped_at + ctx.config.args.storm_wait;
    loop {
        let all_behind = away.iter().all(|(_, track, last)| {
            let t = track.lock();
            t.ended || t.version() >= last + behind_wanted
        });
        if all_behind || Instant::now() >= wait_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let behind: Vec<u64> = away
        .iter()
        .map(|(_, track, last)| track.lock().version().saturating_sub(*last))
        .collect();
    report.offline_secs = dropped_at.elapsed().as_secs_f64();
    report.behind_min = behind.iter().copied().min().unwrap_or(0);
    report.behind_max = behind.iter().copied().max().unwrap_or(0);
    report.behind_reached = behind.iter().filter(|&&b| b >= behind_wanted).count() as u64;
    report.behind_mean = if behind.is_empty() {
        0.0
    } else {
        behind.iter().sum::<u64>() as f64 / behind.len() as f64
    };

    // 3. Reconnect all at once.
    let burst = Instant::now();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    for (game_id, _, last) in &away {
        tokio::spawn(resume(
            ctx.clone(),
            game_id.clone(),
            *last,
            burst,
            done_tx.clone(),
        ));
    }
    drop(done_tx);
    let mut times = Histogram::default();
    let give_up = tokio::time::Instant::from_std(burst + Duration::from_secs(60));
    loop {
        let next = tokio::time::timeout_at(give_up, done_rx.recv()).await;
        match next {
            Ok(Some(Ok(elapsed))) => {
                report.caught_up += 1;
                times.record(elapsed);
            }
            Ok(Some(Err(code))) => {
                report.failed += 1;
                ctx.stats.error(&format!("storm_{code}"));
            }
            Ok(None) => break,
            Err(_) => {
                let missing = report.dropped - report.caught_up - report.failed;
                report.failed += missing;
                ctx.stats.error("storm_timeout");
                break;
            }
        }
    }
    report.catch_up = times.summary();
    report.all_caught_up_secs = report.catch_up.max_ms / 1000.0;
    if !ctx.config.args.quiet {
        eprintln!(
            "storm: {}/{} caught up, the last after {:.3}s",
            report.caught_up, report.dropped, report.all_caught_up_secs
        );
    }
    report
}

/// A storm client before the drop: connects (signals `ready` either way), follows the game, and on
/// `dropped` goes away without a close handshake. Returns the last event id it had.
async fn follow_until_dropped(
    ctx: Arc<Ctx>,
    game_id: String,
    mut dropped: signal::Receiver<bool>,
    ready: mpsc::UnboundedSender<()>,
) -> Option<u64> {
    let connected = spectate(&ctx, &game_id, format!("storm spectator of {game_id}")).await;
    let _ = ready.send(());
    drop(ready);
    let (mut ws, mut checker) = match connected {
        Ok(pair) => pair,
        Err(code) => {
            ctx.stats.error(&format!("storm_{code}"));
            return None;
        }
    };
    let _open = OpenConnection::new(&ctx.stats);
    loop {
        tokio::select! {
            _ = super::until_set(&mut dropped) => {
                // The abrupt way: the socket is simply gone, as when a network fails.
                drop(ws);
                return Some(checker.last());
            }
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    check_frame(&ctx, &mut checker, text.as_str()).ok()?;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    ctx.stats.error("storm_dropped_early");
                    return None;
                }
                Some(Ok(_)) => {}
            }
        }
    }
}

/// A storm client coming back: connects with `lastEventId=last`, checks the missed events arrive in
/// order, and reports the time from `burst` to its `caughtUp`; then follows the live game until it
/// ends or the run does.
async fn resume(
    ctx: Arc<Ctx>,
    game_id: String,
    last: u64,
    burst: Instant,
    done: mpsc::UnboundedSender<Result<Duration, String>>,
) {
    let url = format!(
        "{}/ws?gameId={game_id}&lastEventId={last}",
        ctx.config.ws_base
    );
    let mut ws = match connect_ws(&ctx, &url).await {
        Ok(ws) => ws,
        Err(code) => {
            let _ = done.send(Err(code));
            return;
        }
    };
    let _open = OpenConnection::new(&ctx.stats);
    let mut checker =
        StreamChecker::new(format!("storm reconnect to {game_id} after {last}"), last);
    let mut caught_up = false;
    let deadline = tokio::time::Instant::from_std(ctx.deadline());
    let mut ended = false;
    loop {
        let wait = if caught_up {
            tokio::time::timeout_at(deadline, ws.next()).await
        } else {
            tokio::time::timeout(HELLO_TIMEOUT, ws.next()).await
        };
        let message = match wait {
            Ok(message) => message,
            Err(_) if caught_up => break,
            Err(_) => {
                let _ = done.send(Err("catch_up_timeout".into()));
                return;
            }
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                if !caught_up {
                    let _ = done.send(Err("dropped_during_catch_up".into()));
                }
                return;
            }
            Some(Ok(_)) => continue,
        };
        let Ok(frame) = check_frame(&ctx, &mut checker, text.as_str()) else {
            if !caught_up {
                let _ = done.send(Err("violation".into()));
            }
            return;
        };
        match frame {
            Some(Frame::CaughtUp { .. }) if !caught_up => {
                caught_up = true;
                let _ = done.send(Ok(burst.elapsed()));
                if ended {
                    break;
                }
            }
            Some(Frame::CaughtUp { .. }) => ctx.stats.violation(Violation {
                kind: "catch_up",
                detail: format!("{game_id}: a second caughtUp"),
            }),
            Some(Frame::Welcome { .. }) => {
                ctx.stats.violation(Violation {
                    kind: "catch_up",
                    detail: format!("{game_id}: welcome instead of the missed events after {last}"),
                });
                if !caught_up {
                    let _ = done.send(Err("welcome_instead_of_catch_up".into()));
                }
                return;
            }
            Some(Frame::Event { event, .. }) => {
                if matches!(*event, caravan::domain::Event::GameEnded { .. }) {
                    ended = true;
                }
            }
            Some(Frame::Update { events, .. }) => {
                if events
                    .iter()
                    .any(|(_, e)| matches!(e, caravan::domain::Event::GameEnded { .. }))
                {
                    ended = true;
                }
                if ended && caught_up {
                    break;
                }
            }
            Some(Frame::State { .. }) if ended && caught_up => break,
            Some(Frame::Error { code }) => ctx.stats.error(&code),
            _ => {}
        }
    }
    close_ws(ws).await;
}
