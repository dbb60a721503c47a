//! The reconnect storm: spectators of running games dropped together mid-run, back together with
//! their `lastEventId`.

use super::*;

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
            _ = crate::loadtest::until_set(&mut dropped) => {
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
