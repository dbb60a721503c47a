//! The MongoDB adapter against the MongoDB driver alone, on the same server in the same run.
//!
//! - append: whole bot games, one command's events per append, through `MongoEventStore::append`
//!   (encoding, the version check it makes, the insert) against `insert_one` of the equivalent,
//!   already encoded documents into a collection with the same indexes. The ratio of the two rates
//!   is the figure (goal: the adapter at ≥ 80 % of the raw rate). Once one game at a time, once 8
//!   games at a time. The two sides take turns every `parallel` games (who goes first alternates),
//!   so that a machine whose load changes during the run slows both alike.
//! - replay: every game read back through `MongoEventStore::read` and folded into its state,
//!   next to the driver alone reading the same documents (not decoding them).
//! - size: BSON bytes stored per event, batch fields included.
//!
//! Run: `scripts/services.sh start`, then `cargo bench --bench mongo` (MONGO_URI, default
//! `mongodb://127.0.0.1:27017/?directConnection=true`; BENCH_GAMES, default 32; BENCH_ROUNDS,
//! default 3). Each run uses databases of its own and drops them. Under `cargo test` (no
//! `--bench` argument) it runs one small round as a smoke test, skipped when MongoDB does not
//! answer (a failure with CI=true). Figures are recorded in BENCHMARKS.md.

use std::ops::Range;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use caravan::adapters::outbound::mongodb::baseline::{raw_collection, raw_documents};
use caravan::adapters::outbound::mongodb::{connect, decode_event, encode_event, MongoEventStore};
use caravan::application::games::LoadedGame;
use caravan::application::ports::EventStore;
use caravan::domain::random_player::bot_player_id;
use caravan::domain::{Actor, Command, Event, Game, GameStatus, RandomPlayer};
use chrono::Utc;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document, RawDocumentBuf};
use mongodb::Collection;

/// One command's worth of events, with the command id a player's command carries.
struct Batch {
    events: Vec<Event>,
    command_id: Option<String>,
}

/// A whole game, as the batches the server would append.
struct PlayedGame {
    id: String,
    batches: Vec<Batch>,
}

impl PlayedGame {
    fn events(&self) -> usize {
        self.batches.iter().map(|b| b.events.len()).sum()
    }
}

/// Plays a game with the bot, keeping each command's events together.
fn play(index: usize, players: u8, seed: u64) -> PlayedGame {
    let mut game = Game::default();
    let mut batches = Vec::new();
    let mut step = |game: &mut Game, actor: &Actor, command: &Command, id: Option<String>| {
        let events = game
            .decide(actor, command)
            .expect("the bot plays legal moves");
        for event in &events {
            game.apply_mut(event);
        }
        batches.push(Batch {
            events,
            command_id: id,
        });
    };
    let create = Command::CreateGame {
        num_players: players,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    };
    step(&mut game, &Actor::System, &create, None);
    for seat in 0..players {
        let join = Command::Join {
            player_id: bot_player_id(seat),
            name: format!("Bot {seat}"),
        };
        step(&mut game, &Actor::System, &join, None);
    }
    let mut bot = RandomPlayer::new(seed);
    let mut turn = 0;
    while game.status() == GameStatus::Active {
        let seat = game.current_seat().expect("a seat to move");
        let command = bot.choose(&game, seat).expect("a legal move");
        let actor = Actor::Player(bot_player_id(seat));
        // A client-chosen id, like the REST and WebSocket clients send.
        let id = format!("cmd-{seed:x}-{turn:05}");
        step(&mut game, &actor, &command, Some(id));
        turn += 1;
    }
    PlayedGame {
        id: format!("bench-{index:03}"),
        batches,
    }
}

/// Appends games `range` through the adapter, each game in a task of its own; the elapsed time.
async fn through_adapter(
    store: &MongoEventStore,
    games: &Arc<Vec<PlayedGame>>,
    range: Range<usize>,
) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in range {
        let (store, games) = (store.clone(), games.clone());
        tasks.push(tokio::spawn(async move {
            let game = &games[index];
            let mut version = 0;
            for batch in &game.batches {
                let outcome = store
                    .append(
                        &game.id,
                        version,
                        batch.events.clone(),
                        batch.command_id.clone(),
                        Utc::now(),
                    )
                    .await
                    .expect("the append succeeds");
                version = outcome.events.last().unwrap().event_id;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Inserts the prepared documents of games `range` with the driver alone, each game in a task of
/// its own; the elapsed time.
async fn raw_inserts(
    collection: &Collection<Document>,
    documents: &Arc<Vec<Vec<Document>>>,
    range: Range<usize>,
) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in range {
        let (collection, documents) = (collection.clone(), documents.clone());
        tasks.push(tokio::spawn(async move {
            for document in &documents[index] {
                collection
                    .insert_one(document)
                    .await
                    .expect("the insert succeeds");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Reads every game back through the adapter and folds it; the elapsed time.
async fn replay(store: &MongoEventStore, games: &[PlayedGame]) -> Duration {
    let started = Instant::now();
    for game in games {
        let events = store
            .read(&game.id, 0, None)
            .await
            .expect("the read succeeds");
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&events) && loaded.version() as usize == game.events());
    }
    started.elapsed()
}

/// Reads every game's documents with the driver alone (sorted as the adapter reads them, not
/// decoded); the elapsed time.
async fn raw_reads_of(collection: &Collection<Document>, games: &[PlayedGame]) -> Duration {
    let documents = collection.clone_with_type::<RawDocumentBuf>();
    let started = Instant::now();
    for game in games {
        let read: Vec<RawDocumentBuf> = documents
            .find(doc! { "g": &game.id, "l": { "$gt": 0 } })
            .sort(doc! { "l": 1 })
            .await
            .expect("the find succeeds")
            .try_collect()
            .await
            .expect("the cursor reads");
        assert_eq!(read.len(), game.batches.len());
    }
    started.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(full: bool) -> Result<(), String> {
    let uri = std::env::var("MONGO_URI")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "mongodb://127.0.0.1:27017/?directConnection=true".into());
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let admin = connect(&uri, "admin").await.map_err(|e| e.to_string())?;
    if let Err(e) = admin.run_command(doc! { "ping": 1 }).await {
        let message = format!("MongoDB does not answer at {uri}: {e}");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!("CI=true: {message}"));
        }
        eprintln!("\n!!!!!!!! SKIPPED the MongoDB benchmark: {message} !!!!!!!!\n");
        return Ok(());
    }
    let (games, rounds) = if full {
        (
            env_number("BENCH_GAMES", 32),
            env_number("BENCH_ROUNDS", 3).max(1),
        )
    } else {
        (2, 1)
    };
    let played: Arc<Vec<PlayedGame>> = Arc::new(
        (0..games)
            .map(|i| play(i, 2 + (i % 3) as u8, 1_000 + i as u64))
            .collect(),
    );
    let batches: usize = played.iter().map(|g| g.batches.len()).sum();
    let events: usize = played.iter().map(PlayedGame::events).sum();
    println!(
        "MongoDB adapter benchmark on {uri}: {games} bot games, {batches} appends, {events} events, {rounds} round(s)"
    );

    let mut databases = Vec::new();
    let mut rows = Vec::new();
    let mut last_store = None;
    for parallel in [1usize, 8] {
        let mut ratios = Vec::new();
        let mut adapter_rates = Vec::new();
        let mut raw_rates = Vec::new();
        for round in 0..rounds {
            let adapter_db = connect(&uri, &format!("caravan_bench_{tag}_a{parallel}_{round}"))
                .await
                .map_err(|e| e.to_string())?;
            let raw_db = connect(&uri, &format!("caravan_bench_{tag}_r{parallel}_{round}"))
                .await
                .map_err(|e| e.to_string())?;
            databases.extend([adapter_db.clone(), raw_db.clone()]);
            let store = MongoEventStore::new(&adapter_db);
            store.prepare().await.map_err(|e| e.to_string())?;
            let collection = raw_collection(&raw_db, "events").await.expect("indexes");
            let documents: Arc<Vec<Vec<Document>>> = Arc::new(
                played
                    .iter()
                    .map(|game| {
                        raw_documents(
                            &game.id,
                            game.batches
                                .iter()
                                .map(|b| (b.events.as_slice(), b.command_id.as_deref())),
                            Utc::now().timestamp_millis(),
                        )
                        .expect("events encode")
                    })
                    .collect(),
            );
            let (mut adapter, mut raw) = (Duration::ZERO, Duration::ZERO);
            for (turn, start) in (0..games).step_by(parallel).enumerate() {
                let range = start..(start + parallel).min(games);
                if (turn + round) % 2 == 0 {
                    raw += raw_inserts(&collection, &documents, range.clone()).await;
                    adapter += through_adapter(&store, &played, range).await;
                } else {
                    adapter += through_adapter(&store, &played, range.clone()).await;
                    raw += raw_inserts(&collection, &documents, range).await;
                }
            }
            let adapter_rate = batches as f64 / adapter.as_secs_f64();
            let raw_rate = batches as f64 / raw.as_secs_f64();
            println!(
                "  {parallel} game(s) at a time, round {}: adapter {adapter_rate:.0} appends/s, driver {raw_rate:.0} inserts/s, ratio {:.1} %",
                round + 1,
                100.0 * adapter_rate / raw_rate
            );
            ratios.push(adapter_rate / raw_rate);
            adapter_rates.push(adapter_rate);
            raw_rates.push(raw_rate);
            last_store = Some((store, adapter_db, collection));
        }
        rows.push((
            parallel,
            median(adapter_rates),
            median(raw_rates),
            median(ratios),
        ));
    }

    let (store, adapter_db, collection) = last_store.expect("at least one round");
    let (mut replays, mut raw_reads) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        replays.push(events as f64 / replay(&store, &played).await.as_secs_f64());
        raw_reads.push(events as f64 / raw_reads_of(&collection, &played).await.as_secs_f64());
    }
    let (replay_rate, raw_read_rate) = (median(replays), median(raw_reads));
    // The client's share of a replay: decoding stored events back into domain events.
    let encoded: Vec<Document> = played
        .iter()
        .flat_map(|g| g.batches.iter().flat_map(|b| &b.events))
        .map(|e| encode_event(e).expect("events encode"))
        .collect();
    let started = Instant::now();
    for document in &encoded {
        std::hint::black_box(decode_event(document.clone()).expect("events decode"));
    }
    let decode_rate = encoded.len() as f64 / started.elapsed().as_secs_f64();
    let stored: Vec<RawDocumentBuf> = adapter_db
        .collection::<RawDocumentBuf>("events")
        .find(doc! {})
        .await
        .map_err(|e| e.to_string())?
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    let bytes: usize = stored.iter().map(|d| d.as_bytes().len()).sum();

    println!();
    println!("| measure | adapter | driver alone | adapter / driver |");
    println!("| --- | --- | --- | --- |");
    for (parallel, adapter, raw, ratio) in &rows {
        println!(
            "| append, {parallel} game(s) at a time | {adapter:.0} appends/s ({:.0} events/s) | {raw:.0} inserts/s | {:.1} % |",
            adapter * events as f64 / batches as f64,
            ratio * 100.0
        );
    }
    println!(
        "| replay, one game at a time | {replay_rate:.0} events/s (read, decode, fold) | {raw_read_rate:.0} events/s (find, no decoding) | {:.1} % |",
        100.0 * replay_rate / raw_read_rate
    );
    println!("| decoding stored events (no I/O) | {decode_rate:.0} events/s | | |");
    println!(
        "| stored size | {:.0} bytes of BSON per event ({:.0} per append) | | |",
        bytes as f64 / events as f64,
        bytes as f64 / batches as f64
    );

    for database in databases {
        let _ = database.drop().await;
    }
    Ok(())
}

fn main() -> ExitCode {
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(run(full)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mongo bench: {e}");
            ExitCode::FAILURE
        }
    }
}
