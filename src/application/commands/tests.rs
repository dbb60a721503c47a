//! The command path against mocked ports: order of append → publish → project, retries, idempotency.

use std::sync::Arc;

use mockall::predicate::eq;
use mockall::Sequence;

use super::*;
use crate::application::ports::{
    AppendOutcome, BusError, CommandOutcome, EventStore, MockMetrics, StoreError,
};
use crate::application::testing::{history, now, pid, play, stored, HangingStore, Mocks};
use crate::domain::{Event, Game, GameStatus, MerchantCardId, RuleViolation};

fn service(mocks: Mocks) -> CommandService {
    service_with(
        mocks,
        CommandSettings {
            retries: 3,
            ..CommandSettings::default()
        },
    )
}

fn service_with(mocks: Mocks, settings: CommandSettings) -> CommandService {
    service_and_cache(mocks, settings).0
}

/// The service and its cache of hot games.
fn service_and_cache(mocks: Mocks, settings: CommandSettings) -> (CommandService, Arc<HotGames>) {
    let ports = mocks.ports();
    let games = Arc::new(HotGames::new(ports.store.clone(), 100));
    let service = CommandService::new(
        ports,
        games.clone(),
        settings,
        Arc::new(RuntimeCounters::default()),
    );
    (service, games)
}

fn claims(seat: u8) -> PlayerClaims {
    PlayerClaims {
        player_id: pid(seat),
        game_id: "g".into(),
        seat,
        exp: i64::MAX,
    }
}

fn s01() -> Command {
    Command::PlayCard {
        card_id: "S01".parse::<MerchantCardId>().unwrap(),
        upgrades: vec![],
        times: 1,
    }
}

/// `seat` plays S01 on a copy of `game`: the game after, and the events.
fn s01_played(game: &Game, seat: u8) -> (Game, Vec<Event>) {
    let mut after = game.clone();
    let mut events = Vec::new();
    play(
        &mut after,
        &mut events,
        &Actor::Player(PlayerId::new(pid(seat))),
        &s01(),
    );
    (after, events)
}

/// What a store answers to an append it accepts: the events stored with the next ids.
fn appended(
    game_id: &str,
    version: u64,
    events: Vec<Event>,
    command_id: Option<&str>,
) -> Result<AppendOutcome, AppendError> {
    let events = stored(game_id, version, events, command_id);
    Ok(AppendOutcome {
        events,
        duplicate: false,
    })
}

/// The error `execute` answers to `seat`'s `command` (command id `c`) on `game_id`.
async fn refusal(mocks: Mocks, seat: u8, game_id: &str, command: Command) -> ApplicationError {
    service(mocks)
        .execute(&claims(seat), game_id, Some("c"), command)
        .await
        .unwrap_err()
}

/// The bus takes exactly one publish.
fn publishes_once(mocks: &mut Mocks) {
    mocks.bus.expect_publish().times(1).returning(|_, _| Ok(()));
}

/// The next read in `order` is the one after `after`, and answers `events`.
fn read_once(mocks: &mut Mocks, order: &mut Sequence, after: u64, events: Vec<StoredEvent>) {
    mocks
        .store
        .expect_read()
        .withf(move |_, from, _| *from == after)
        .times(1)
        .in_sequence(order)
        .returning(move |_, _, _| {
            let events = events.clone();
            Ok(events)
        });
}

/// The store holds `log`; reads after an id return the rest.
fn store_holding(mocks: &mut Mocks, log: Vec<StoredEvent>) {
    mocks.store.expect_read().returning(move |_, after, _| {
        let rest: Vec<StoredEvent> = log.iter().filter(|e| e.event_id > after).cloned().collect();
        Ok(rest)
    });
}

fn no_command_stored(mocks: &mut Mocks) {
    mocks.store.expect_find_command().returning(|_, _| Ok(None));
}

/// Accepts one append at `expected`, storing the events with the next ids.
fn accept_append(mocks: &mut Mocks, expected: u64) {
    mocks
        .store
        .expect_append()
        .withf(move |_, version, _, _, _| *version == expected)
        .times(1)
        .returning(|game, version, events, command_id, _| {
            appended(game, version, events, command_id.as_deref())
        });
}

#[tokio::test]
async fn creating_a_game_appends_at_version_zero_then_publishes_then_projects() {
    let mut mocks = Mocks::new();
    let mut order = Sequence::new();
    mocks
        .store
        .expect_read()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(vec![]));
    mocks
        .store
        .expect_append()
        .withf(|game, version, events, command_id, at| {
            game == "g1"
                && *version == 0
                && events.len() == 1
                && command_id.is_none()
                && *at == now()
        })
        .times(1)
        .in_sequence(&mut order)
        .returning(|game, _, events, _, _| appended(game, 0, events, None));
    mocks
        .bus
        .expect_publish()
        .withf(|game, events| game == "g1" && events.len() == 1 && events[0].event_id == 1)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(()));
    mocks.read_models = crate::application::ports::MockReadModels::new();
    mocks
        .read_models
        .expect_upsert_summary()
        .withf(|s| s.game_id == "g1" && s.version == 1 && s.status == GameStatus::Waiting)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));

    let summary = service(mocks)
        .create_game(NewGame {
            game_id: Some("g1".into()),
            num_players: 3,
            seed: Some(1),
            scenario: None,
            ..NewGame::default()
        })
        .await
        .unwrap();
    assert_eq!(summary.num_players, 3);
    assert_eq!(summary.version, 1);
}

#[tokio::test]
async fn a_taken_game_id_is_a_game_exists_conflict() {
    let mut mocks = Mocks::new();
    store_holding(&mut mocks, history(2, 0).1);
    mocks.store.expect_append().never();
    mocks.bus.expect_publish().never();
    let err = service(mocks)
        .create_game(NewGame {
            game_id: Some("g".into()),
            num_players: 2,
            ..NewGame::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "game_exists");
}

#[tokio::test]
async fn more_players_than_the_server_allows_is_invalid() {
    let mut mocks = Mocks::new();
    mocks.store.expect_append().never();
    let settings = CommandSettings {
        max_players: 3,
        ..CommandSettings::default()
    };
    let err = service_with(mocks, settings)
        .create_game(NewGame {
            num_players: 4,
            ..NewGame::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_player_count");
}

#[tokio::test]
async fn a_join_that_loses_the_race_is_decided_again_and_takes_the_next_seat() {
    let (_, created) = history(3, 0);
    let (_, with_ben) = history(3, 1);
    let mut mocks = Mocks::new();
    let mut order = Sequence::new();
    read_once(&mut mocks, &mut order, 0, created);
    mocks
        .store
        .expect_append()
        .withf(|_, version, _, _, _| *version == 1)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _, _, _| Err(AppendError::Conflict { actual: 2 }));
    read_once(&mut mocks, &mut order, 1, with_ben[1..].to_vec());
    mocks
        .store
        .expect_append()
        .withf(|_, version, events, _, _| {
            *version == 2 && matches!(events.as_slice(), [Event::PlayerJoined { seat: 1, .. }])
        })
        .times(1)
        .in_sequence(&mut order)
        .returning(|game, version, events, _, _| appended(game, version, events, None));
    publishes_once(&mut mocks);

    let joined = service(mocks).join("g", "Ana").await.unwrap();
    assert_eq!(joined.seat, 1);
    assert_eq!(joined.last_event_id, 3);
    assert!(joined.token.starts_with("token-for-"));
}

#[tokio::test]
async fn losing_every_retry_is_a_version_conflict_and_publishes_nothing() {
    let mut mocks = Mocks::new();
    store_holding(&mut mocks, history(3, 0).1);
    mocks
        .store
        .expect_append()
        .times(4)
        .returning(|_, _, _, _, _| Err(AppendError::Conflict { actual: 9 }));
    mocks.bus.expect_publish().never();
    let err = service(mocks).join("g", "Ana").await.unwrap_err();
    assert_eq!(err.code(), "version_conflict");
}

#[tokio::test]
async fn a_repeated_command_id_returns_the_first_result_and_publishes_it_again() {
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let (_, events) = s01_played(&game, seat);
    let original = stored("g", log.len() as u64, events, Some("c-1"));
    let mut full = log.clone();
    full.extend(original.clone());

    let mut mocks = Mocks::new();
    store_holding(&mut mocks, full);
    let found = original.clone();
    mocks
        .store
        .expect_find_command()
        .with(eq("g"), eq("c-1"))
        .returning(move |_, _| {
            let found = found.clone();
            Ok(Some(found))
        });
    mocks.store.expect_append().never();
    // The original batch is published again (its first publish may have died with its instance).
    let republished = original.clone();
    mocks
        .bus
        .expect_publish()
        .withf(move |game, batch| game == "g" && batch[..] == republished[..])
        .times(1)
        .returning(|_, _| Ok(()));

    let committed = service(mocks)
        .execute(&claims(seat), "g", Some("c-1"), s01())
        .await
        .unwrap();
    assert!(committed.duplicate);
    assert_eq!(
        committed.event_ids,
        original.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_command_id_reused_for_another_command_is_a_conflict() {
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let (_, events) = s01_played(&game, seat);
    let original = stored("g", log.len() as u64, events, Some("c-1"));

    let mut mocks = Mocks::new();
    store_holding(&mut mocks, log);
    // Nothing has been played yet, so `rest` is refused; the refusal looks the command id up.
    mocks.store.expect_find_command().returning(move |_, _| {
        let found = original.clone();
        Ok(Some(found))
    });
    mocks.store.expect_append().never();
    mocks.bus.expect_publish().never();
    let err = service(mocks)
        .execute(&claims(seat), "g", Some("c-1"), Command::Rest)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "command_id_reused");
}

#[tokio::test]
async fn a_refusal_on_a_stale_cache_is_checked_against_the_store_first() {
    let (game, log) = history(2, 2);
    let first = game.current_seat().unwrap();
    // Another instance already played for the first seat: the turn has passed.
    let (moved, events) = s01_played(&game, first);
    let second = moved.current_seat().unwrap();
    assert_ne!(first, second);
    let mut full = log.clone();
    full.extend(stored("g", log.len() as u64, events, Some("other")));
    let version = full.len() as u64;

    let mut mocks = Mocks::new();
    let cached = log.clone();
    let all = full.clone();
    let mut reads = 0;
    mocks.store.expect_read().returning(move |_, after, _| {
        reads += 1;
        // First load sees the old log (the cache), later reads the whole store.
        let source = if reads == 1 {
            cached.clone()
        } else {
            all.clone()
        };
        let rest: Vec<StoredEvent> = source.into_iter().filter(|e| e.event_id > after).collect();
        Ok(rest)
    });
    no_command_stored(&mut mocks);
    accept_append(&mut mocks, version);
    publishes_once(&mut mocks);

    let committed = service(mocks)
        .execute(&claims(second), "g", Some("c-2"), s01())
        .await
        .unwrap();
    assert_eq!(committed.event_ids[0], version + 1);
}

#[tokio::test]
async fn a_rule_broken_on_the_latest_state_is_the_domains_refusal() {
    let (game, log) = history(2, 2);
    let waiting = 1 - game.current_seat().unwrap();
    let mut mocks = Mocks::new();
    store_holding(&mut mocks, log);
    no_command_stored(&mut mocks);
    mocks.store.expect_append().never();
    let err = refusal(mocks, waiting, "g", s01()).await;
    assert!(
        matches!(
            err,
            ApplicationError::Domain(RuleViolation::NotYourTurn { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "not_your_turn");
}

#[tokio::test]
async fn a_failed_publish_is_counted_but_the_command_stands() {
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let version = log.len() as u64;
    let mut mocks = Mocks::new();
    store_holding(&mut mocks, log);
    no_command_stored(&mut mocks);
    accept_append(&mut mocks, version);
    mocks
        .bus
        .expect_publish()
        .times(1)
        .returning(|_, _| Err(BusError::Unavailable("down".into())));
    let mut metrics = MockMetrics::new();
    metrics.expect_publish_failed().times(1).return_const(());
    metrics.expect_events_appended().return_const(());
    metrics
        .expect_command_handled()
        .withf(|kind, outcome, _| kind == "playCard" && *outcome == CommandOutcome::Accepted)
        .times(1)
        .return_const(());
    mocks.metrics = Some(metrics);

    let committed = service(mocks)
        .execute(&claims(seat), "g", Some("c"), s01())
        .await
        .unwrap();
    assert!(!committed.duplicate);
    assert_eq!(committed.event_ids.first(), Some(&(version + 1)));
}

#[tokio::test]
async fn an_unavailable_store_refuses_the_command_and_publishes_nothing() {
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let mut mocks = Mocks::new();
    store_holding(&mut mocks, log);
    no_command_stored(&mut mocks);
    mocks
        .store
        .expect_append()
        .returning(|_, _, _, _, _| Err(AppendError::Unavailable("timeout".into())));
    mocks.bus.expect_publish().never();
    let err = refusal(mocks, seat, "g", s01()).await;
    assert_eq!(err.code(), "unavailable");
}

#[tokio::test]
async fn a_token_for_another_game_is_forbidden() {
    let mut mocks = Mocks::new();
    mocks.store.expect_read().never();
    mocks.store.expect_append().never();
    let err = refusal(mocks, 0, "other", Command::Rest).await;
    assert_eq!(err.code(), "wrong_game");
}

#[tokio::test]
async fn creation_and_joining_are_not_player_commands() {
    let mut mocks = Mocks::new();
    mocks.store.expect_append().never();
    let join = Command::Join {
        player_id: PlayerId::new("x"),
        name: "x".into(),
    };
    let err = refusal(mocks, 0, "g", join).await;
    assert_eq!(err.code(), "command_not_allowed");
}

#[tokio::test]
async fn a_command_for_an_unknown_game_is_not_found() {
    let mut mocks = Mocks::new();
    mocks.store.expect_read().returning(|_, _, _| Ok(vec![]));
    no_command_stored(&mut mocks);
    mocks.store.expect_append().never();
    let err = refusal(mocks, 0, "g", Command::Rest).await;
    assert_eq!(err.code(), "game_not_found");
}

#[tokio::test]
async fn joins_to_unknown_games_leave_nothing_in_the_game_cache() {
    let mut mocks = Mocks::new();
    mocks.store.expect_read().returning(|_, _, _| Ok(vec![]));
    mocks.store.expect_append().never();
    let (service, games) = service_and_cache(mocks, CommandSettings::default());
    for i in 0..50 {
        let err = service.join(&format!("nope-{i}"), "Ana").await.unwrap_err();
        assert_eq!(err.code(), "game_not_found");
    }
    assert!(games.is_empty(), "{} entries kept", games.len());
}

#[tokio::test]
async fn a_store_that_cannot_be_read_is_unavailable() {
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_read()
        .returning(|_, _, _| Err(StoreError::Unavailable("refused".into())));
    mocks.store.expect_append().never();
    let err = service(mocks).join("g", "Ana").await.unwrap_err();
    assert_eq!(err.code(), "unavailable");
}

#[test]
fn a_stored_result_matches_only_the_command_that_produced_it() {
    let (game, _) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let (_, events) = s01_played(&game, seat);
    let original = stored("g", 10, events, Some("c"));
    assert!(same_command(seat, &s01(), &original));
    assert!(!same_command(1 - seat, &s01(), &original));
    assert!(!same_command(seat, &Command::Rest, &original));
    assert!(!same_command(seat, &s01(), &[]));
}

#[tokio::test]
async fn a_command_dropped_after_its_append_leaves_no_stale_game_for_the_only_writer() {
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let version = log.len() as u64;
    let store = Arc::new(HangingStore::over(Arc::new(
        crate::adapters::outbound::memory::MemoryEventStore::new(),
    )));
    let events = log.into_iter().map(|stored| stored.event).collect();
    store.append("g", 0, events, None, now()).await.unwrap();
    let mut ports = Mocks::new().ports();
    ports.store = store.clone();
    // This process is the store's only writer: a cached game is answered without reading it.
    let games = Arc::new(HotGames::new(ports.store.clone(), 100).sole_writer(true));
    let service = CommandService::new(
        ports,
        games.clone(),
        CommandSettings::default(),
        Arc::new(RuntimeCounters::default()),
    );
    assert_eq!(games.latest("g").await.unwrap().version(), version);

    store
        .hang_after_writing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        service.execute(&claims(seat), "g", Some("c"), s01()),
    )
    .await;
    assert!(dropped.is_err(), "the command was to be dropped mid-append");
    let stored = store.latest_id("g").await.unwrap();
    assert!(stored > version, "the dropped command's append landed");

    let current = games.latest("g").await.unwrap();
    assert_eq!(
        current.version(),
        stored,
        "the cache answered for a game it had not seen the last append of"
    );
}
