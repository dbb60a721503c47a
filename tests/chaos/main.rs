//! Chaos: two caravan instances on a private MongoDB-wire server (nx-27017, on disk) and a private
//! Redis, games of three split across both, bots on REST and WebSocket that retry with the same
//! `commandId` and reconnect with `lastEventId`, and five faults:
//!
//! 1. kill -9 of an instance with commands in flight (then started again);
//! 2. Redis stopped for 5 s (and started again empty: the projection group is gone);
//! 3. kill -9 of the MongoDB-wire server, started again on the same files;
//! 4. the same command sent to both instances at once, 50 times;
//! 5. SIGTERM of an instance (then started again).
//!
//! Then every command's every answer is accounted against the log as the store holds it: no event
//! lost, duplicated, reordered or forked (both instances serve the stored log; every client got
//! the logged events), every answer true, every double send committed once, live WebSocket
//! clients within 1 s of each commit (also while Redis is down), read models within 1 s of the log
//! (counted from when MongoDB answers again), `/ready` within 500 ms.
//!
//! `CHAOS_PROFILE=long` (`make chaos`) plays 20 games at a time through `CHAOS_CYCLES` (default 3)
//! rounds of the five faults, 12 s apart; the default short profile (`make chaos-short`) plays 6
//! games through one round, 5 s apart, and is part of `make test`. Needs `redis-server` on the
//! PATH and nx-27017 in `.services/venv` (`scripts/services.sh start` installs both); it never
//! touches the shared services.

mod bots;
mod ledger;
mod procs;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;

use caravan::adapters::outbound::mongodb::{connect, MongoEventStore};
use caravan::application::ports::EventStore;

use bots::Run;
use ledger::Fault;
use procs::{Instance, Mongo, Redis};

struct Profile {
    tables: usize,
    cycles: usize,
    gap: Duration,
}

fn profile() -> Profile {
    let long = std::env::var("CHAOS_PROFILE").is_ok_and(|p| p == "long");
    let cycles = std::env::var("CHAOS_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(if long { 3 } else { 1 });
    if long {
        Profile {
            tables: 20,
            cycles,
            gap: Duration::from_secs(12),
        }
    } else {
        Profile {
            tables: 6,
            cycles,
            gap: Duration::from_secs(5),
        }
    }
}

fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "caravan-chaos-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    std::fs::create_dir_all(&dir).expect("a work directory");
    dir
}

fn instance_env(mongo: &Mongo, redis: &Redis) -> Vec<(String, String)> {
    [
        ("EVENT_STORE", "mongodb".to_string()),
        ("EVENT_BUS", "redis".to_string()),
        ("MONGO_URI", mongo.uri()),
        ("MONGO_DB", "chaos".to_string()),
        ("REDIS_URL", redis.url()),
        ("REDIS_KEY_PREFIX", "chaos".to_string()),
        (
            "JWT_SECRET",
            "chaos-suite-secret-that-is-long-enough-0123456789".to_string(),
        ),
        ("SHUTDOWN_TIMEOUT_SECS", "5".to_string()),
        (
            "LOG_LEVEL",
            std::env::var("CHAOS_LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
        ),
        ("LOG_FORMAT", "json".to_string()),
        ("WS_MAX_MESSAGES_PER_SEC", "500".to_string()),
        // Every player of the run comes from 127.0.0.1: the per-address limits, meant for one
        // client each, would refuse the tables' next games and, while one instance is down, the
        // long profile's 40 WebSockets on the other.
        ("RATE_LIMIT_GAMES_PER_MIN", "100000".to_string()),
        ("RATE_LIMIT_JOINS_PER_MIN", "100000".to_string()),
        ("WS_CONNECTIONS_PER_ADDRESS", "10000".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Samples the read models (every game's summary version) and `/ready` on both instances.
async fn sample(run: Arc<Run>) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut n = 0usize;
    let mut last_commits = (0usize, Instant::now());
    let mut dumped = false;
    while !run.stopping.load(Ordering::SeqCst) || run.in_flight.load(Ordering::SeqCst) > 0 {
        tick.tick().await;
        n += 1;
        // A run that commits nothing for 10 s says what every player is doing, once.
        let commits = run
            .ledger
            .lock()
            .attempts
            .iter()
            .filter(|a| matches!(a.answer, ledger::Answer::Committed { .. }))
            .count();
        if commits != last_commits.0 {
            last_commits = (commits, Instant::now());
            dumped = false;
        } else if !dumped && last_commits.1.elapsed() > Duration::from_secs(10) {
            dumped = true;
            eprintln!("[chaos] no commit for 10 s; the players:");
            for (player, what) in run.players.lock().iter() {
                eprintln!("[chaos]   {player}: {what}");
            }
        }
        let instance = n % 2;
        let url = format!("{}/api/games?limit=1000", run.urls[instance]);
        if let Ok(response) = run
            .http
            .get(url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
        {
            let at = Utc::now();
            if response.status().is_success() {
                if let Ok(page) = response.json::<Value>().await {
                    let mut ledger = run.ledger.lock();
                    for game in page["games"].as_array().into_iter().flatten() {
                        if let (Some(id), Some(version)) =
                            (game["gameId"].as_str(), game["version"].as_u64())
                        {
                            ledger.summaries.push((at, id.to_string(), version));
                        }
                    }
                }
            }
        }
        if n.is_multiple_of(3) {
            let started = Instant::now();
            let ready = run
                .http
                .get(format!("{}/ready", run.urls[instance]))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            // An instance that is down (connection refused) is not answering slowly.
            if let Ok(response) = ready {
                let ms = started.elapsed().as_millis() as u64;
                run.ledger
                    .lock()
                    .ready
                    .push((instance, ms, response.status().as_u16()));
            }
        }
    }
}

fn fault(run: &Run, kind: &'static str, started: chrono::DateTime<Utc>) {
    run.ledger.lock().faults.push(Fault {
        kind,
        started,
        recovered: Utc::now(),
    });
    eprintln!(
        "[chaos] {kind}: recovered after {} ms",
        (Utc::now() - started).num_milliseconds()
    );
}

fn counter_sum(metrics: &str, name: &str, label: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_faults_no_event_is_lost_every_answer_is_true_and_views_catch_up() {
    let profile = profile();
    let dir = work_dir();
    eprintln!("[chaos] work directory {}", dir.display());
    let mut redis = Redis::start(&dir).await;
    let mut mongo = Mongo::start(&dir).await;
    let env = instance_env(&mongo, &redis);
    let mut a = Instance::start("instance-a", &dir, env.clone()).await;
    let mut b = Instance::start("instance-b", &dir, env).await;
    let run = Run::new([a.url(), b.url()]);
    let run_started = Utc::now();

    let sampler = tokio::spawn(sample(run.clone()));
    let tables: Vec<_> = (0..profile.tables)
        .map(|t| tokio::spawn(bots::table(run.clone(), t)))
        .collect();
    let mut duplicates_counted = 0.0;
    let mut duplicates_answered = 0;

    tokio::time::sleep(profile.gap).await;
    for cycle in 0..profile.cycles {
        eprintln!("[chaos] cycle {}", cycle + 1);
        // 1. kill -9 of an instance with commands in flight.
        let started = Utc::now();
        a.kill9();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        a.restart().await;
        // Neither instance has restarted since: their counters hold every answer from here on.
        let counting_from = Utc::now();
        fault(&run, "kill -9 instance", started);
        tokio::time::sleep(profile.gap).await;

        // 2. Redis stopped for 5 s, back without its data.
        let started = Utc::now();
        redis.kill9();
        tokio::time::sleep(Duration::from_secs(5)).await;
        redis.restart().await;
        fault(&run, "stop Redis", started);
        tokio::time::sleep(profile.gap).await;

        // 3. kill -9 of the MongoDB-wire server, back on the same files.
        let started = Utc::now();
        mongo.kill9();
        tokio::time::sleep(Duration::from_millis(500)).await;
        mongo.restart().await;
        fault(&run, "kill -9 MongoDB", started);
        tokio::time::sleep(profile.gap).await;

        // 4. The same command to both instances at once, 50 times.
        let started = Utc::now();
        run.double_sends.store(50, Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(60);
        while run.double_sends.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        fault(&run, "double send", started);
        let mut counted = 0.0;
        for url in &run.urls {
            let text = run
                .http
                .get(format!("{url}/metrics"))
                .send()
                .await
                .expect("/metrics answers")
                .text()
                .await
                .expect("the metrics text");
            counted += counter_sum(&text, "caravan_commands_total", "outcome=\"duplicate\"");
        }
        let read_at = Utc::now();
        let answered = run
            .ledger
            .lock()
            .attempts
            .iter()
            .filter(|a| {
                matches!(
                    a.answer,
                    ledger::Answer::Committed {
                        duplicate: true,
                        ..
                    }
                ) && a.sent >= counting_from
                    && a.answered <= read_at
            })
            .count();
        duplicates_counted += counted;
        duplicates_answered += answered;
        assert!(
            counted >= answered as f64,
            "/metrics counts {counted} duplicates; the instances answered {answered}"
        );
        tokio::time::sleep(profile.gap).await;

        // 5. SIGTERM of an instance.
        let started = Utc::now();
        b.terminate();
        tokio::time::sleep(Duration::from_millis(500)).await;
        b.restart().await;
        fault(&run, "SIGTERM instance", started);
        tokio::time::sleep(profile.gap).await;
    }

    // Stop: no new command; every command in flight gets its definite answer.
    run.stopping.store(true, Ordering::SeqCst);
    let until = Instant::now() + Duration::from_secs(60);
    while run.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unanswered = run.in_flight.load(Ordering::SeqCst);
    let _ = sampler.await;

    // The log as the store holds it, and as each instance serves it.
    let games = run.ledger.lock().games.clone();
    let database = connect(&mongo.uri(), "chaos")
        .await
        .expect("the chaos database");
    let store = MongoEventStore::new(&database);
    let mut logs = HashMap::new();
    let mut served = HashMap::new();
    for game in &games {
        let log = store.read(game, 0, None).await.expect("the log");
        let mut both: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
        for (i, url) in run.urls.iter().enumerate() {
            let mut after = 0;
            loop {
                let page: Value = run
                    .http
                    .get(format!(
                        "{url}/api/games/{game}/events?after={after}&limit=1000"
                    ))
                    .send()
                    .await
                    .expect("the events")
                    .json()
                    .await
                    .expect("a page of events");
                let events = page["events"].as_array().cloned().unwrap_or_default();
                if events.is_empty() {
                    break;
                }
                after = events
                    .last()
                    .and_then(|e| e["eventId"].as_u64())
                    .unwrap_or(after + 1);
                both[i].extend(events);
            }
        }
        logs.insert(game.clone(), log);
        served.insert(game.clone(), both);
    }
    // Every WebSocket player must now get the rest of its game's events, then leave.
    *run.finals.lock() = Some(
        logs.iter()
            .map(|(g, l)| (g.clone(), l.len() as u64))
            .collect(),
    );
    let mut stuck = 0;
    for table in tables {
        if tokio::time::timeout(Duration::from_secs(20), table)
            .await
            .is_err()
        {
            stuck += 1;
        }
    }

    let ledger = std::mem::take(&mut *run.ledger.lock());
    // Commits answered per 5 s of the run: a stall shows as a run of zeros.
    let mut per_window: Vec<usize> = Vec::new();
    for attempt in &ledger.attempts {
        if let ledger::Answer::Committed {
            duplicate: false, ..
        } = attempt.answer
        {
            let window = ((attempt.answered - run_started).num_seconds().max(0) / 5) as usize;
            if per_window.len() <= window {
                per_window.resize(window + 1, 0);
            }
            per_window[window] += 1;
        }
    }
    eprintln!("[chaos] commits answered per 5 s: {per_window:?}");
    let verdict = ledger.account(&logs, &served);
    eprintln!(
        "[chaos] faults: {:?}",
        ledger
            .faults
            .iter()
            .map(|f| (f.kind, (f.recovered - f.started).num_milliseconds()))
            .collect::<Vec<_>>()
    );
    eprintln!("[chaos] WebSocket reconnects {}, duplicates counted by /metrics {duplicates_counted} (answered while counted: {duplicates_answered}), commands never answered for good {unanswered}, tables still playing {stuck}", ledger.reconnects);
    eprintln!("[chaos] {}", verdict.report());

    a.terminate();
    b.terminate();
    redis.kill9();
    mongo.kill9();

    assert!(
        verdict.commands_committed >= 100 * profile.cycles,
        "too few commands to judge anything"
    );
    assert!(verdict.lost.is_empty(), "lost: {:?}", verdict.lost);
    assert!(
        verdict.duplicated.is_empty(),
        "duplicated: {:?}",
        verdict.duplicated
    );
    assert!(
        verdict.reordered.is_empty(),
        "reordered: {:?}",
        verdict.reordered
    );
    assert!(verdict.forked.is_empty(), "forked: {:?}", verdict.forked);
    assert!(
        verdict.false_answers.is_empty(),
        "false answers: {:?}",
        verdict.false_answers
    );
    assert!(
        verdict.unconfirmed.is_empty(),
        "committed but never confirmed: {:?}",
        verdict.unconfirmed
    );
    assert!(
        verdict.stream_violations.is_empty(),
        "stream: {:?}",
        verdict.stream_violations
    );
    assert_eq!(unanswered, 0, "commands without a definite answer");
    assert_eq!(stuck, 0, "players that never got all their game's events");
    assert_eq!(
        verdict.double_sends,
        50 * profile.cycles,
        "double sends made"
    );
    assert_eq!(
        verdict.double_sends_committed_once, verdict.double_sends,
        "double sends committed once"
    );
    assert!(
        verdict.redis_down_events > 0 && verdict.redis_down_live_deliveries > 0,
        "nothing measured while Redis was down: {} events committed, {} live deliveries",
        verdict.redis_down_events,
        verdict.redis_down_live_deliveries
    );
    assert!(
        verdict.ws_lag_redis_down_max_ms <= 1000,
        "a live client was {} ms behind a commit while Redis was down",
        verdict.ws_lag_redis_down_max_ms
    );
    assert!(
        verdict.ws_lag_max_ms <= 1000,
        "a live client was {} ms behind a commit ({})",
        verdict.ws_lag_max_ms,
        verdict.ws_lag_max_at
    );
    assert!(
        verdict.read_model_lag_max_ms <= 1000 + 250,
        "a read model was {} ms behind the log ({})",
        verdict.read_model_lag_max_ms,
        verdict.read_model_lag_max_at
    );
    assert!(
        verdict.ready_max_ms <= 500,
        "/ready took {} ms",
        verdict.ready_max_ms
    );
    let _ = std::fs::remove_dir_all(&dir);
}
