//! The players of a chaos run: tables that open games of three on either instance, and bots that
//! play them over REST (polling the log) or over WebSocket (reconnecting with `lastEventId`),
//! sending every command again with the same `commandId` until the answer is definite.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use caravan::domain::{Command, Event, Game, GameStatus, RandomPlayer, Seat};

use super::ledger::{Answer, Attempt, Delivery, Ledger};

/// Pause before sending a command again.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// How often REST players read the log.
const POLL_EVERY: Duration = Duration::from_millis(150);
/// Longest wait for a WebSocket frame while a command is in flight.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(12);

/// What every task of a run shares.
pub struct Run {
    pub urls: [String; 2],
    pub http: reqwest::Client,
    pub ledger: Mutex<Ledger>,
    /// No new command, no new game.
    pub stopping: AtomicBool,
    /// Commands sent and not yet answered for good.
    pub in_flight: AtomicI64,
    /// Commands still to be sent to both instances at once.
    pub double_sends: AtomicU32,
    /// Once set, each game's final version: WebSocket players leave when they have it all.
    pub finals: Mutex<Option<HashMap<String, u64>>>,
    /// What each player last did, by "game seat": printed when the run stops committing.
    pub players: Mutex<std::collections::BTreeMap<String, String>>,
}

impl Run {
    pub fn new(urls: [String; 2]) -> Arc<Run> {
        Arc::new(Run {
            urls,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(1))
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client"),
            ledger: Mutex::new(Ledger::default()),
            stopping: AtomicBool::new(false),
            in_flight: AtomicI64::new(0),
            double_sends: AtomicU32::new(0),
            finals: Mutex::new(None),
            players: Mutex::new(std::collections::BTreeMap::new()),
        })
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn violation(&self, text: String) {
        self.ledger.lock().violations.push(text);
    }

    fn note(&self, game_id: &str, seat: Seat, what: String) {
        self.players.lock().insert(
            format!("{game_id} seat {seat}"),
            format!("{} {what}", Utc::now().format("%H:%M:%S%.3f")),
        );
    }

    fn final_version(&self, game_id: &str) -> Option<u64> {
        self.finals
            .lock()
            .as_ref()
            .map(|f| f.get(game_id).copied().unwrap_or(0))
    }
}

/// Plays games at table `table` until the run stops: opens a game of three on one instance,
/// seats a WebSocket player on each instance and a REST player, plays it out, and starts again.
pub async fn table(run: Arc<Run>, table: usize) {
    let mut round = 0;
    while !run.stopping() {
        round += 1;
        let game_id = format!("chaos-{table}-{round}");
        let home = table % 2;
        if !open_game(&run, &game_id, home).await {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        }
        let mut seats = Vec::new();
        for player in 0..3 {
            let instance = (home + player) % 2;
            match join(&run, &game_id, instance, player).await {
                Some(seat) => seats.push(seat),
                None => break,
            }
        }
        if seats.len() < 3 {
            // A join whose answer was lost may have taken a seat: this game is left as it is.
            continue;
        }
        run.ledger.lock().games.push(game_id.clone());
        let seed = (table * 1000 + round) as u64;
        let players = vec![
            tokio::spawn(ws_player(
                run.clone(),
                game_id.clone(),
                seats[0].clone(),
                home,
                seed,
            )),
            tokio::spawn(rest_player(
                run.clone(),
                game_id.clone(),
                seats[1].clone(),
                1 - home,
                seed + 1,
            )),
            tokio::spawn(ws_player(
                run.clone(),
                game_id.clone(),
                seats[2].clone(),
                1 - home,
                seed + 2,
            )),
        ];
        for player in players {
            let _ = player.await;
        }
    }
}

/// A seat's token and number.
#[derive(Clone)]
pub struct SeatToken {
    seat: Seat,
    token: String,
}

async fn open_game(run: &Run, game_id: &str, instance: usize) -> bool {
    for attempt in 0..50 {
        let url = format!("{}/api/games", run.urls[(instance + attempt) % 2]);
        let sent = run
            .http
            .post(url)
            .json(&json!({"numPlayers": 3, "gameId": game_id}))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() || r.status().as_u16() == 409 => return true,
            _ => tokio::time::sleep(RETRY_PAUSE).await,
        }
        if run.stopping() {
            return false;
        }
    }
    false
}

/// Joins; `None` when the answer may have been lost (the seat may be taken, the game is left).
async fn join(run: &Run, game_id: &str, instance: usize, player: usize) -> Option<SeatToken> {
    for attempt in 0..50 {
        let url = format!(
            "{}/api/games/{game_id}/join",
            run.urls[(instance + attempt) % 2]
        );
        let sent = run
            .http
            .post(url)
            .json(&json!({"name": format!("bot{player}")}))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await.ok()?;
                return Some(SeatToken {
                    seat: body["seat"].as_u64()? as Seat,
                    token: body["token"].as_str()?.to_string(),
                });
            }
            // Refused before anything was written (a per-address limit): try again.
            Ok(r) if r.status().as_u16() == 429 => {}
            // Refused before anything was written: try again.
            Ok(r) if r.status().as_u16() == 503 => {
                if is_unknown(r).await {
                    return None;
                }
            }
            // Connection refused: nothing was sent.
            Err(e) if e.is_connect() => {}
            _ => return None,
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    None
}

async fn is_unknown(response: reqwest::Response) -> bool {
    let body: Value = response.json().await.unwrap_or(Value::Null);
    body["error"]["code"] != "unavailable"
}

/// The protocol's event object as a domain event, its id, type and data.
fn read_event(value: &Value) -> Option<(u64, Event, String, Value)> {
    let event: Event =
        serde_json::from_value(json!({"type": value["eventType"], "data": value["data"]})).ok()?;
    Some((
        value["eventId"].as_u64()?,
        event,
        value["eventType"].as_str()?.to_string(),
        value["data"].clone(),
    ))
}

/// A player over REST: reads the log from its instance (the other one when it is down), and on
/// its turn posts the bot's command until the answer is definite.
async fn rest_player(run: Arc<Run>, game_id: String, seat: SeatToken, home: usize, seed: u64) {
    let mut game = Game::default();
    let mut bot = RandomPlayer::new(seed);
    let mut acted_at = None;
    let mut target = home;
    loop {
        let url = format!(
            "{}/api/games/{game_id}/events?after={}",
            run.urls[target],
            game.version()
        );
        let page: Option<Value> = match run.http.get(url).send().await {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        let Some(page) = page else {
            target = 1 - target;
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        for value in page["events"].as_array().into_iter().flatten() {
            let Some((id, event, _, _)) = read_event(value) else {
                run.violation(format!("{game_id}: unreadable event {value}"));
                continue;
            };
            if id != game.version() + 1 {
                run.violation(format!(
                    "{game_id} REST seat {}: event {id} after {}",
                    seat.seat,
                    game.version()
                ));
                continue;
            }
            game.apply_mut(&event);
        }
        target = home;
        run.note(
            &game_id,
            seat.seat,
            format!(
                "rest: version {}, turn {:?}, acted at {acted_at:?}",
                game.version(),
                game.current_seat()
            ),
        );
        if game.status() == GameStatus::Finished || run.stopping() {
            return;
        }
        let version = game.version();
        if game.status() == GameStatus::Active
            && game.current_seat() == Some(seat.seat)
            && acted_at != Some(version)
        {
            let Some(command) = bot.choose(&game, seat.seat) else {
                run.violation(format!(
                    "{game_id}: no legal command for seat {}",
                    seat.seat
                ));
                return;
            };
            acted_at = Some(version);
            let command_id = uuid::Uuid::new_v4().to_string();
            let double = run
                .double_sends
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            run.in_flight.fetch_add(1, Ordering::SeqCst);
            if double {
                run.ledger.lock().double_sent.insert(command_id.clone());
                let (a, b) = tokio::join!(
                    post_until_definite(&run, &game_id, &seat, &command_id, &command, 0),
                    post_until_definite(&run, &game_id, &seat, &command_id, &command, 1),
                );
                if matches!(a, Answer::Refused(_)) || matches!(b, Answer::Refused(_)) {
                    acted_at = None;
                }
            } else if let Answer::Refused(_) =
                post_until_definite(&run, &game_id, &seat, &command_id, &command, home).await
            {
                acted_at = None;
            }
            run.in_flight.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Posts one command with one id until the answer is definite (or 300 attempts), alternating
/// instances after failures. Records every attempt.
async fn post_until_definite(
    run: &Run,
    game_id: &str,
    seat: &SeatToken,
    command_id: &str,
    command: &Command,
    first: usize,
) -> Answer {
    let mut target = first;
    let body = json!({"commandId": command_id, "command": command});
    for _ in 0..300 {
        let sent = Utc::now();
        let response = run
            .http
            .post(format!("{}/api/games/{game_id}/commands", run.urls[target]))
            .bearer_auth(&seat.token)
            .json(&body)
            .send()
            .await;
        let answer = match response {
            Err(e) => Answer::Silence(e.to_string()),
            Ok(r) => {
                let status = r.status().as_u16();
                match r.json::<Value>().await {
                    Err(e) => Answer::Silence(format!("{status}: {e}")),
                    Ok(body) if status == 200 => Answer::Committed {
                        event_ids: ids(&body["eventIds"]),
                        duplicate: body["duplicate"].as_bool().unwrap_or(false),
                    },
                    Ok(body) => Answer::from_code(body["error"]["code"].as_str().unwrap_or("")),
                }
            }
        };
        run.ledger.lock().attempts.push(Attempt {
            game_id: game_id.to_string(),
            command_id: command_id.to_string(),
            instance: target,
            transport: "rest",
            sent,
            answered: Utc::now(),
            answer: answer.clone(),
        });
        if answer.is_definite() {
            return answer;
        }
        if matches!(answer, Answer::Silence(_)) {
            target = 1 - target;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    Answer::Silence("gave up".into())
}

fn ids(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect()
}

/// A command a WebSocket player sent and has no definite answer for.
struct Pending {
    command_id: String,
    text: String,
    sent: chrono::DateTime<Utc>,
    instance: usize,
}

/// A player over WebSocket: connects with `lastEventId`, checks that events come in order without
/// gap or repeat, acts at each `state` on its turn, and after any drop reconnects (to the other
/// instance when its own is down) and sends its unanswered command again with the same id.
async fn ws_player(run: Arc<Run>, game_id: String, seat: SeatToken, home: usize, seed: u64) {
    let mut game = Game::default();
    let mut bot = RandomPlayer::new(seed);
    let mut pending: Option<Pending> = None;
    let mut acted_at: Option<u64> = None;
    let mut target = home;
    let mut first = true;
    loop {
        if pending.is_none()
            && (game.status() == GameStatus::Finished || done(&run, &game_id, &game))
        {
            return;
        }
        // Protocol 1 (each event as its own frame, then the whole state): this suite is about
        // what survives the faults, and reads every event as the store has it.
        let url = format!(
            "ws://{}/ws?gameId={game_id}&token={}&lastEventId={}&protocol=1",
            run.urls[target].trim_start_matches("http://"),
            seat.token,
            game.version()
        );
        let connected = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(url),
        )
        .await;
        let Ok(Ok((mut socket, _))) = connected else {
            target = 1 - target;
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        if !first {
            run.ledger.lock().reconnects += 1;
        }
        first = false;
        let instance = target;
        target = home;
        run.note(
            &game_id,
            seat.seat,
            format!("ws connected to {instance} at {}", game.version()),
        );
        let mut live = false;
        // The `lastEventId` of the last `state` frame on this connection.
        let mut state_at: Option<u64> = None;
        if let Some(p) = &mut pending {
            p.sent = Utc::now();
            p.instance = instance;
            if socket.send(Message::text(p.text.clone())).await.is_err() {
                record_ws(&run, &game_id, p, Answer::Silence("send failed".into()));
                continue;
            }
        }
        loop {
            let wait = if pending.is_some() {
                ANSWER_TIMEOUT
            } else {
                Duration::from_millis(250)
            };
            let frame = match tokio::time::timeout(wait, socket.next()).await {
                Err(_) if pending.is_some() => None,
                Err(_) => {
                    if run.stopping() && done(&run, &game_id, &game) {
                        let _ = socket.close(None).await;
                        return;
                    }
                    continue;
                }
                Ok(Some(Ok(Message::Text(text)))) => Some(text.to_string()),
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => None,
                Ok(Some(Ok(_))) => continue,
            };
            let Some(text) = frame else {
                if let Some(p) = &pending {
                    record_ws(&run, &game_id, p, Answer::Silence("connection lost".into()));
                }
                target = if pending.is_some() {
                    1 - instance
                } else {
                    instance
                };
                tokio::time::sleep(Duration::from_millis(100)).await;
                break;
            };
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match value["type"].as_str().unwrap_or("") {
                "event" => {
                    let Some((id, event, event_type, data)) = read_event(&value) else {
                        run.violation(format!("{game_id}: unreadable frame {text}"));
                        continue;
                    };
                    if id != game.version() + 1 {
                        run.violation(format!(
                            "{game_id} WS seat {}: event {id} after {}",
                            seat.seat,
                            game.version()
                        ));
                        continue;
                    }
                    game.apply_mut(&event);
                    run.ledger.lock().deliveries.push(Delivery {
                        game_id: game_id.clone(),
                        event_id: id,
                        event_type,
                        data,
                        received: Utc::now(),
                        live,
                    });
                    continue;
                }
                "caughtUp" => {
                    live = true;
                    continue;
                }
                "state" => {
                    live = true;
                    state_at = value["lastEventId"].as_u64();
                    run.note(
                        &game_id,
                        seat.seat,
                        format!(
                            "ws on {instance}: state at {state_at:?}, version {}, turn {:?}, pending {}, acted at {acted_at:?}",
                            game.version(),
                            game.current_seat(),
                            pending.is_some()
                        ),
                    );
                    if state_at != Some(game.version()) || pending.is_some() {
                        continue;
                    }
                }
                "commandResult" => {
                    let Some(p) = pending.take_if(|p| value["requestId"] == p.command_id.as_str())
                    else {
                        continue;
                    };
                    let answer = if value["ok"] == true {
                        Answer::Committed {
                            event_ids: ids(&value["eventIds"]),
                            duplicate: value["duplicate"].as_bool().unwrap_or(false),
                        }
                    } else {
                        Answer::from_code(value["error"]["code"].as_str().unwrap_or(""))
                    };
                    record_ws(&run, &game_id, &p, answer.clone());
                    run.note(
                        &game_id,
                        seat.seat,
                        format!(
                            "ws on {instance}: answer {answer:?} at version {}",
                            game.version()
                        ),
                    );
                    if answer.is_definite() {
                        run.in_flight.fetch_sub(1, Ordering::SeqCst);
                        if matches!(answer, Answer::Refused(_)) {
                            acted_at = None;
                        }
                        // The state after this command's events came before its answer (the
                        // server holds the answer until then): when that state is the latest and
                        // the turn is still ours (a discard is owed), act on it now.
                        if state_at != Some(game.version()) {
                            continue;
                        }
                    } else {
                        tokio::time::sleep(RETRY_PAUSE).await;
                        let p = Pending {
                            sent: Utc::now(),
                            ..p
                        };
                        let failed = socket.send(Message::text(p.text.clone())).await.is_err();
                        if failed {
                            record_ws(&run, &game_id, &p, Answer::Silence("send failed".into()));
                        }
                        pending = Some(p);
                        if failed {
                            break;
                        }
                        continue;
                    }
                }
                _ => continue,
            }
            // The latest state is current and no command is pending: leave a finished game (the
            // table opens the next one once its three players have left), act when it is our turn.
            if game.status() == GameStatus::Finished {
                if done(&run, &game_id, &game) || !run.stopping() {
                    let _ = socket.close(None).await;
                    return;
                }
                continue;
            }
            let version = game.version();
            if run.stopping()
                || game.status() != GameStatus::Active
                || game.current_seat() != Some(seat.seat)
                || acted_at == Some(version)
            {
                continue;
            }
            let Some(command) = bot.choose(&game, seat.seat) else {
                run.violation(format!(
                    "{game_id}: no legal command for seat {}",
                    seat.seat
                ));
                return;
            };
            acted_at = Some(version);
            let command_id = uuid::Uuid::new_v4().to_string();
            let text =
                json!({"type": "command", "requestId": command_id, "command": command}).to_string();
            run.in_flight.fetch_add(1, Ordering::SeqCst);
            let p = Pending {
                command_id,
                text: text.clone(),
                sent: Utc::now(),
                instance,
            };
            if socket.send(Message::text(text)).await.is_err() {
                record_ws(&run, &game_id, &p, Answer::Silence("send failed".into()));
                pending = Some(p);
                break;
            }
            pending = Some(p);
        }
    }
}

/// After the run: this player has every event of its game.
fn done(run: &Run, game_id: &str, game: &Game) -> bool {
    run.final_version(game_id)
        .is_some_and(|last| game.version() >= last)
}

fn record_ws(run: &Run, game_id: &str, pending: &Pending, answer: Answer) {
    run.ledger.lock().attempts.push(Attempt {
        game_id: game_id.to_string(),
        command_id: pending.command_id.clone(),
        instance: pending.instance,
        transport: "ws",
        sent: pending.sent,
        answered: Utc::now(),
        answer,
    });
}
