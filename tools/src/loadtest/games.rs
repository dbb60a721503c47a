//! Playing the games: each slot plays games one after the other until the deadline; a game is
//! created and joined over REST and each seat played on its own WebSocket by a [`SeatPlayer`],
//! reconnecting with `lastEventId` when its connection drops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use tokio::sync::watch as signal;
use tokio_tungstenite::tungstenite::Message;

use super::seat::{self, GameTrack, SeatPlayer, Step};
use super::stats::{OpenConnection, Stats, Violation};
use super::stream::parse_frame;
use super::{
    close_ws, connect_ws, create_game, mix, post_json, start_delay, thinking_time, until_set, Ctx,
    JoinedSeat, Ws,
};

/// How one game went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GameEnd {
    Completed,
    Unfinished,
    Abandoned,
    SetupFailed,
}

/// Plays games in one slot, one after the other, until the deadline.
pub(super) async fn drive(ctx: Arc<Ctx>, slot: usize) {
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
            "{}/ws?gameId={}&token={}&lastEventId={}&protocol={}",
            ctx.config.ws_base,
            bot.game_id(),
            token,
            bot.last_event_id(),
            ctx.config.args.protocol
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
        ctx.check_schema(text.as_str());
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
        ctx.stats.count_bytes(&frame, text.len());
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
