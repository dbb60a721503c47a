//! The real `caravan` binary on the embedded store, killed with SIGKILL in the middle of a load and
//! started again on the same `DATA_DIR`: every command it acknowledged is still there (sent again
//! under its command id it is answered as a duplicate with the same event ids), no command is there
//! in part (each stored command's events are exactly what the rules decide for it), the read models
//! caught up with the logs, and the games go on.
//!
//! Also: the start-up refusals of the embedded store (the Redis bus, a second server on one
//! directory).

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use caravan::adapters::outbound::sqlite::{self, Access};
use caravan::application::games::LoadedGame;
use caravan::application::ports::EventStore;
use caravan::domain::{Actor, Command, Event, Game, GameStatus, PlayerId, RandomPlayer, Seat};
use parking_lot::Mutex;
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_caravan");

/// Games played at once.
const GAMES: usize = 12;

/// Acknowledged commands after which the server is killed (in each round).
const KILL_AFTER: usize = 120;

/// A server process.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with a clean environment: the embedded store in `dir`, on `port`.
fn caravan(dir: &Path, port: u16, log: &str) -> Process {
    let mut process = Process::new(BINARY);
    process
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CARAVAN_CONFIG", "")
        .env("EVENT_STORE", "embedded")
        .env("DATA_DIR", dir)
        .env("SERVER_HOST", "127.0.0.1")
        .env("SERVER_PORT", port.to_string())
        .env("LOG_LEVEL", "warn")
        // All the test's games come from one address.
        .env("RATE_LIMIT_GAMES_PER_MIN", "100000")
        .env("RATE_LIMIT_JOINS_PER_MIN", "100000")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap());
    process
}

async fn start(dir: &Path, log: &str) -> Server {
    let port = free_port();
    let child = caravan(dir, port, log).spawn().expect("the binary starts");
    let server = Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("{}/ready", server.address)).send().await {
            if response.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
    panic!("the server did not get ready within 30 s:\n{log}");
}

/// A seat the test plays.
#[derive(Clone)]
struct Seated {
    player_id: String,
    token: String,
}

/// A command the test sent, and what the server answered if it did.
#[derive(Clone)]
struct Sent {
    game_id: String,
    seat: Seat,
    command: Command,
    acknowledged: Option<Vec<u64>>,
}

/// What the players share: the commands sent, by id.
#[derive(Default)]
struct Ledger {
    sent: Mutex<HashMap<String, Sent>>,
    acknowledged: AtomicUsize,
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Option<(u16, Value)> {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Some((status, body))
}

/// The game as its public events show it (every revealed card is in an event).
async fn fetch_game(client: &reqwest::Client, address: &str, game_id: &str) -> Option<Game> {
    let mut game = Game::default();
    loop {
        let url = format!(
            "{address}/api/games/{game_id}/events?after={}&limit=1000",
            game.version()
        );
        let body: Value = client.get(url).send().await.ok()?.json().await.ok()?;
        let events = body["events"].as_array()?.clone();
        if events.is_empty() {
            return Some(game);
        }
        for dto in events {
            let event: Event = serde_json::from_value(json!({
                "type": dto["eventType"],
                "data": dto["data"],
            }))
            .expect("a public event decodes");
            game.apply_mut(&event);
        }
    }
}

/// Plays `game_id` with the bot until it ends, `stop` is set, or the server stops answering.
async fn play(
    client: reqwest::Client,
    address: String,
    game_id: String,
    seats: Vec<Seated>,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    round: usize,
) {
    let mut bot = RandomPlayer::new(game_id.len() as u64 + round as u64);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let Some(game) = fetch_game(&client, &address, &game_id).await else {
            return;
        };
        if game.status() != GameStatus::Active {
            return;
        }
        let Some(seat) = game.current_seat() else {
            return;
        };
        let Some(command) = bot.choose(&game, seat) else {
            return;
        };
        n += 1;
        let command_id = format!("{game_id}-r{round}-{n}");
        ledger.sent.lock().insert(
            command_id.clone(),
            Sent {
                game_id: game_id.clone(),
                seat,
                command: command.clone(),
                acknowledged: None,
            },
        );
        let answer = post(
            &client,
            format!("{address}/api/games/{game_id}/commands"),
            Some(&seats[seat as usize].token),
            json!({ "commandId": command_id, "command": command }),
        )
        .await;
        let Some((status, body)) = answer else {
            return;
        };
        assert_eq!(status, 200, "a legal command was refused: {body}");
        let ids: Vec<u64> = serde_json::from_value(body["eventIds"].clone()).unwrap();
        if let Some(sent) = ledger.sent.lock().get_mut(&command_id) {
            sent.acknowledged = Some(ids);
        }
        ledger.acknowledged.fetch_add(1, Ordering::Relaxed);
    }
}

/// Plays every game until `KILL_AFTER` more commands are acknowledged, then kills the server with
/// SIGKILL while the players are still sending.
async fn play_then_kill(
    mut server: Server,
    games: &[(String, Vec<Seated>)],
    ledger: &Arc<Ledger>,
    round: usize,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let start = ledger.acknowledged.load(Ordering::Relaxed);
    let players: Vec<_> = games
        .iter()
        .map(|(game_id, seats)| {
            tokio::spawn(play(
                client.clone(),
                server.address.clone(),
                game_id.clone(),
                seats.clone(),
                ledger.clone(),
                stop.clone(),
                round,
            ))
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while ledger.acknowledged.load(Ordering::Relaxed) < start + KILL_AFTER {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the load did not reach {KILL_AFTER} commands"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for player in players {
        player.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_load_keeps_every_acknowledged_command_and_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = start(dir.path(), "server-1.log").await;
    let mut games = Vec::new();
    for _ in 0..GAMES {
        let (status, body) = post(
            &client,
            format!("{}/api/games", server.address),
            None,
            json!({ "numPlayers": 2 }),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{body}");
        let game_id = body["gameId"].as_str().unwrap().to_string();
        let mut seats = Vec::new();
        for name in ["Ana", "Bo"] {
            let (status, body) = post(
                &client,
                format!("{}/api/games/{game_id}/join", server.address),
                None,
                json!({ "name": name }),
            )
            .await
            .unwrap();
            assert_eq!(status, 201, "{body}");
            seats.push(Seated {
                player_id: body["playerId"].as_str().unwrap().to_string(),
                token: body["token"].as_str().unwrap().to_string(),
            });
        }
        games.push((game_id, seats));
    }
    let ledger = Arc::new(Ledger::default());

    play_then_kill(server, &games, &ledger, 1).await;
    let server = start(dir.path(), "server-2.log").await;
    play_then_kill(server, &games, &ledger, 2).await;
    let server = start(dir.path(), "server-3.log").await;

    // Every acknowledged command is there: sent again, it is a duplicate with the same ids.
    let sent: Vec<(String, Sent)> = ledger.sent.lock().clone().into_iter().collect();
    let acknowledged: Vec<&(String, Sent)> = sent
        .iter()
        .filter(|(_, s)| s.acknowledged.is_some())
        .collect();
    assert!(acknowledged.len() >= 2 * KILL_AFTER);
    let seats: HashMap<&str, &Vec<Seated>> = games.iter().map(|(g, s)| (g.as_str(), s)).collect();
    for (command_id, sent) in &acknowledged {
        let (status, body) = post(
            &client,
            format!("{}/api/games/{}/commands", server.address, sent.game_id),
            Some(&seats[sent.game_id.as_str()][sent.seat as usize].token),
            json!({ "commandId": command_id, "command": sent.command }),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{command_id}: {body}");
        assert_eq!(body["duplicate"], true, "{command_id} was lost: {body}");
        let ids: Vec<u64> = serde_json::from_value(body["eventIds"].clone()).unwrap();
        assert_eq!(Some(&ids), sent.acknowledged.as_ref(), "{command_id}");
    }

    // The read models caught up with the logs at start-up.
    let page: Value = client
        .get(format!("{}/api/games?limit=100", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions: HashMap<String, u64> = page["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["gameId"].as_str().unwrap().to_string(),
                g["version"].as_u64().unwrap(),
            )
        })
        .collect();
    for (game_id, _) in &games {
        let game = fetch_game(&client, &server.address, game_id).await.unwrap();
        assert_eq!(versions.get(game_id), Some(&game.version()), "{game_id}");
    }
    drop(server);

    // No command is there in part: each stored command's events are exactly what the rules decide
    // for it on the state before it (and acknowledged ones have the ids the server answered).
    let store = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
    let acknowledged = acknowledged.len();
    let sent: HashMap<String, Sent> = sent.into_iter().collect();
    let mut checked = 0;
    for (game_id, seated) in &games {
        let events = store.read(game_id, 0, None).await.unwrap();
        let mut state = LoadedGame::empty();
        let mut i = 0;
        while i < events.len() {
            let command_id = events[i].command_id.clone();
            let end = events[i..]
                .iter()
                .position(|e| e.command_id != command_id)
                .map_or(events.len(), |n| i + n);
            let batch = &events[i..end];
            if let Some(id) = &command_id {
                let sent = &sent[id];
                let actor =
                    Actor::Player(PlayerId::new(seated[sent.seat as usize].player_id.clone()));
                let decided = state.game.decide(&actor, &sent.command).unwrap();
                let stored: Vec<Event> = batch.iter().map(|e| e.event.clone()).collect();
                assert_eq!(stored, decided, "{id} is stored in part or altered");
                if let Some(ids) = &sent.acknowledged {
                    let stored_ids: Vec<u64> = batch.iter().map(|e| e.event_id).collect();
                    assert_eq!(&stored_ids, ids, "{id}");
                }
                checked += 1;
            }
            assert!(
                state.fold(batch),
                "{game_id}: a gap before event {}",
                batch[0].event_id
            );
            i = end;
        }
    }
    assert!(checked >= acknowledged, "{checked} commands stored");
}

#[test]
fn the_embedded_store_with_the_redis_bus_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = caravan(dir.path(), free_port(), "refused.log")
        .env("EVENT_BUS", "redis")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("EVENT_BUS=redis"), "{message}");
    assert!(message.contains("EVENT_STORE=mongodb"), "{message}");
    assert!(
        !dir.path().join("caravan.db").exists(),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = start(dir.path(), "first.log").await;
    let output = caravan(dir.path(), free_port(), "second.log")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("in use by another caravan process"),
        "{message}"
    );
}
