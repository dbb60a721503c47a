//! Every attack of this suite at once, against one server, while two honest players (from an
//! address of their own) play a game to its end: the attacks are refused or bounded, `/health`
//! answers throughout, the peak memory stays within its bound, and the honest game's log has no
//! gap.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use caravan::domain::{GameStatus, RandomPlayer};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::play::Mirror;

use super::bodies::{encoded_post, gzip_zeros, idle_peak, zstd_zeros, RSS_BOUND_KIB};
use super::limits::open_ws;
use super::server::{raw_exchange, raw_status, Client, Endpoint, Server, ADMIN_TOKEN};

const ATTACKER: &str = "203.0.113.66";
const HONEST: &str = "198.51.100.77";
const WATCHER: &str = "198.51.100.78";
const SEED: u64 = 20_240_501;

/// Plays the honest game to its end over REST; returns its event ids as served.
async fn play_honest_game(server: &Server) -> Vec<u64> {
    let operator = Client::new(server, None);
    let (status, created, _) = operator
        .post(
            "/api/games",
            Some(ADMIN_TOKEN),
            &json!({"numPlayers": 2, "seed": SEED}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let game_id = created["gameId"].as_str().unwrap().to_string();
    let players = Client::new(server, Some(HONEST));
    let mut tokens = vec![String::new(); 2];
    for name in ["Honest Ana", "Honest Ben"] {
        let (status, joined, _) = players
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "an honest join: {joined}");
        tokens[joined["seat"].as_u64().unwrap() as usize] =
            joined["token"].as_str().unwrap().into();
    }
    let mut mirror = Mirror::new(2, SEED);
    let mut bot = RandomPlayer::new(5);
    let mut n = 0;
    loop {
        let (_, page) = players
            .get(&format!(
                "/api/games/{game_id}/events?after={}",
                mirror.game.version()
            ))
            .await;
        mirror.apply(page["events"].as_array().expect("events"));
        if mirror.game.status() != GameStatus::Active {
            break;
        }
        let seat = mirror.game.current_seat().expect("a seat to move");
        let command = bot.choose(&mirror.game, seat).expect("a legal move");
        n += 1;
        let (status, body, _) = players
            .post(
                &format!("/api/games/{game_id}/commands"),
                Some(&tokens[usize::from(seat)]),
                &json!({"commandId": format!("honest-{n}"), "command": command}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "an honest move: {body}");
        assert!(n < 2_000, "the honest game does not end");
    }
    assert_eq!(mirror.game.status(), GameStatus::Finished);
    // The whole log as served, page by page.
    let mut ids: Vec<u64> = Vec::new();
    loop {
        let after = ids.last().copied().unwrap_or(0);
        let (status, page) = players
            .get(&format!("/api/games/{game_id}/events?after={after}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["events"].as_array().expect("events");
        if events.is_empty() {
            return ids;
        }
        ids.extend(events.iter().map(|e| e["eventId"].as_u64().unwrap()));
    }
}

/// Attack rounds until `stop`; panics when an attack is not refused as documented.
async fn attack(
    server: Endpoint,
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicUsize>,
    zstd: Arc<Vec<u8>>,
    gzip: Arc<Vec<u8>>,
) {
    let attacker = Client::new(&server, Some(ATTACKER));
    let mut sockets = Vec::new();
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        // Compression bombs, three zstd and one gzip at once.
        let mut bombs = Vec::new();
        for i in 0..4 {
            let request = if i < 3 {
                encoded_post("zstd", &zstd)
            } else {
                encoded_post("gzip", &gzip)
            };
            let addr = server.addr.clone();
            bombs.push(tokio::spawn(async move {
                raw_exchange(&addr, &request, Duration::from_secs(20)).await
            }));
        }
        // Slow bodies.
        let mut slow = Vec::new();
        for _ in 0..10 {
            let addr = server.addr.clone();
            slow.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(&addr).await.unwrap();
                let head = "POST /api/games HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{";
                let _ = stream.write_all(head.as_bytes()).await;
                for _ in 0..20 {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if stream.write_all(b" ").await.is_err() {
                        return true;
                    }
                }
                false
            }));
        }
        // A creation flood, joins of every waiting game, and guesses at the admin token.
        let five = json!({"numPlayers": 5});
        let floods = join_all((0..50).map(|_| attacker.post("/api/games", None, &five))).await;
        let created = floods
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::CREATED)
            .count();
        assert!(
            created <= 10,
            "round {round}: {created} games created past the limit"
        );
        assert!(floods
            .iter()
            .all(|(s, _, _)| *s == StatusCode::CREATED || *s == StatusCode::TOO_MANY_REQUESTS));
        let (_, waiting) = attacker.get("/api/games?status=waiting&limit=100").await;
        for game in waiting["games"].as_array().cloned().unwrap_or_default() {
            let id = game["gameId"].as_str().unwrap_or_default();
            let (status, body, _) = attacker
                .post(
                    &format!("/api/games/{id}/join"),
                    None,
                    &json!({"name": "squatter"}),
                )
                .await;
            assert!(
                status == StatusCode::CREATED
                    || status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::CONFLICT,
                "join flood: {status} {body}"
            );
        }
        for guess in 0..5 {
            let (status, _, _) = attacker
                .post(
                    "/api/admin/rebuild-projections",
                    Some(&format!("guess-{round}-{guess}")),
                    &json!({}),
                )
                .await;
            assert!(status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS);
        }
        // WebSockets: as many as one address may hold, and more.
        if let Some(game) = waiting["games"].as_array().and_then(|g| g.first()) {
            let id = game["gameId"].as_str().unwrap_or_default().to_string();
            for _ in 0..40 {
                match open_ws(&server, &id, ATTACKER, false).await {
                    Ok(ws) => sockets.push(ws),
                    Err((status, _)) => assert_eq!(status, 429),
                }
            }
            assert!(
                sockets.len() <= 16,
                "{} sockets from one address",
                sockets.len()
            );
        }
        for bomb in bombs {
            let answer = bomb.await.unwrap();
            assert_eq!(raw_status(&answer), 415, "{answer}");
        }
        for cut in slow {
            assert!(cut.await.unwrap(), "a slow body was held for 10 s");
        }
        rounds.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_players_finish_their_game_while_every_attack_runs() {
    let zstd = Arc::new(zstd_zeros(1 << 30));
    let gzip = Arc::new(gzip_zeros(64 << 20));
    let server = Server::start(&[
        ("HTTP_BODY_TIMEOUT_SECS", "3"),
        ("RATE_LIMIT_GAMES_PER_MIN", "10"),
        ("RATE_LIMIT_JOINS_PER_MIN", "10"),
        ("WS_CONNECTIONS_PER_ADDRESS", "16"),
        ("ADMIN_AUTH_FAILURES_PER_MIN", "5"),
    ])
    .await;
    let idle = idle_peak(&server).await;

    let stop = Arc::new(AtomicBool::new(false));
    let health_failures = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let client = Client::new(&server, Some(WATCHER));
        let stop = stop.clone();
        let failures = health_failures.clone();
        tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(Ordering::SeqCst) {
                match tokio::time::timeout(Duration::from_secs(5), client.try_get("/health")).await
                {
                    Ok(Ok((StatusCode::OK, _))) => answered += 1,
                    _ => {
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answered
        })
    };
    let rounds = Arc::new(AtomicUsize::new(0));
    let attacks = {
        let stop = stop.clone();
        let rounds = rounds.clone();
        tokio::spawn(attack((*server).clone(), stop, rounds, zstd, gzip))
    };
    // Let the attacks start before the honest players sit down.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids = play_honest_game(&server).await;
    // At least two whole rounds of attacks, whatever the honest game's pace.
    while rounds.load(Ordering::SeqCst) < 2 && !attacks.is_finished() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    attacks
        .await
        .expect("the attacks were refused as documented");
    let answered = watcher.await.unwrap();

    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected, "the honest game's log has a gap");
    assert_eq!(
        health_failures.load(Ordering::SeqCst),
        0,
        "/health failed during the attacks"
    );
    assert!(answered > 0);
    let peak = server.peak_rss_kib();
    assert!(
        peak <= idle + RSS_BOUND_KIB,
        "peak RSS rose from {idle} KiB idle to {peak} KiB under attack"
    );
}
