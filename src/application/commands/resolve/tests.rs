use std::sync::Arc;
use std::time::Duration;

use mockall::Sequence;

use crate::application::commands::{CommandService, CommandSettings};
use crate::application::games::HotGames;
use crate::application::ports::{
    AppendError, AppendOutcome, CommandOutcome, MockMetrics, PlayerClaims, Ports, StoredEvent,
};
use crate::application::testing::{history, pid, stored, HangingStore, Mocks};
use crate::application::RuntimeCounters;
use crate::domain::{Command, MerchantCardId};

fn service(mocks: Mocks, outcome_wait: Duration) -> CommandService {
    service_over(mocks.ports(), outcome_wait)
}

fn service_over(ports: Ports, outcome_wait: Duration) -> CommandService {
    let games = Arc::new(HotGames::new(ports.store.clone(), 100));
    CommandService::new(
        ports,
        games,
        CommandSettings {
            outcome_wait,
            ..CommandSettings::default()
        },
        Arc::new(RuntimeCounters::default()),
    )
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

/// A started two-player game whose log the store serves, no command id stored yet.
fn started_game(mocks: &mut Mocks) -> (u8, u64) {
    let (game, log) = history(2, 2);
    let version = log.len() as u64;
    let served = log.clone();
    mocks.store.expect_read().returning(move |_, after, limit| {
        let rest: Vec<StoredEvent> = served
            .iter()
            .filter(|e| e.event_id > after)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Ok(rest)
    });
    mocks.store.expect_find_command().returning(|_, _| Ok(None));
    (game.current_seat().unwrap(), version)
}

fn reply_lost_once(mocks: &mut Mocks, sequence: &mut Sequence) {
    mocks
        .store
        .expect_append()
        .times(1)
        .in_sequence(sequence)
        .returning(|_, _, _, _, _| Err(AppendError::Unknown("unexpected end of file".into())));
}

/// The append sent again is stored (as new, or found already stored when `duplicate`).
fn stores_once(mocks: &mut Mocks, sequence: &mut Sequence, duplicate: bool) {
    mocks
        .store
        .expect_append()
        .times(1)
        .in_sequence(sequence)
        .returning(move |game, version, events, command_id, _| {
            let events = stored(game, version, events, command_id.as_deref());
            Ok(AppendOutcome { events, duplicate })
        });
}

fn publishes_once(mocks: &mut Mocks) {
    mocks.bus.expect_publish().times(1).returning(|_, _| Ok(()));
}

fn counts_one(outcome: CommandOutcome) -> MockMetrics {
    let mut metrics = MockMetrics::new();
    metrics.expect_events_appended().return_const(());
    metrics.expect_publish_failed().return_const(());
    metrics.expect_projection_failed().return_const(());
    metrics
        .expect_command_handled()
        .withf(move |_, o, _| *o == outcome)
        .times(1)
        .return_const(());
    metrics
}

#[tokio::test]
async fn a_lost_reply_to_a_stored_append_is_answered_as_committed_and_published() {
    let mut mocks = Mocks::new();
    let (seat, version) = started_game(&mut mocks);
    let mut sequence = Sequence::new();
    reply_lost_once(&mut mocks, &mut sequence);
    // Sent again: the store already holds the command id, with our events and commit time.
    stores_once(&mut mocks, &mut sequence, true);
    publishes_once(&mut mocks);
    mocks.metrics = Some(counts_one(CommandOutcome::Accepted));

    let committed = service(mocks, Duration::from_secs(5))
        .execute(&claims(seat), "g", Some("c1"), s01())
        .await
        .unwrap();
    assert!(!committed.duplicate);
    assert_eq!(committed.event_ids.first(), Some(&(version + 1)));
}

#[tokio::test]
async fn a_lost_reply_to_an_append_that_never_landed_stores_it_once_now() {
    let mut mocks = Mocks::new();
    let (seat, version) = started_game(&mut mocks);
    let mut sequence = Sequence::new();
    reply_lost_once(&mut mocks, &mut sequence);
    // The store is down for a moment, then takes the write.
    mocks
        .store
        .expect_append()
        .times(2)
        .in_sequence(&mut sequence)
        .returning(|_, _, _, _, _| Err(AppendError::Unavailable("connection refused".into())));
    stores_once(&mut mocks, &mut sequence, false);
    publishes_once(&mut mocks);
    mocks.metrics = Some(counts_one(CommandOutcome::Accepted));

    let committed = service(mocks, Duration::from_secs(5))
        .execute(&claims(seat), "g", Some("c1"), s01())
        .await
        .unwrap();
    assert!(!committed.duplicate);
    assert_eq!(committed.event_ids.first(), Some(&(version + 1)));
}

#[tokio::test]
async fn a_store_silent_past_the_wait_is_outcome_unknown_never_unavailable() {
    let mut mocks = Mocks::new();
    let (seat, _) = started_game(&mut mocks);
    mocks
        .store
        .expect_append()
        .returning(|_, _, _, _, _| Err(AppendError::Unknown("timed out".into())));
    mocks.bus.expect_publish().never();
    mocks.metrics = Some(counts_one(CommandOutcome::Unknown));

    let err = service(mocks, Duration::from_millis(200))
        .execute(&claims(seat), "g", Some("c1"), s01())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "outcome_unknown");
}

#[tokio::test]
async fn a_store_that_hangs_past_the_wait_is_outcome_unknown() {
    let mut mocks = Mocks::new();
    let (seat, _) = started_game(&mut mocks);
    let mut sequence = Sequence::new();
    reply_lost_once(&mut mocks, &mut sequence);
    mocks.bus.expect_publish().never();
    mocks.metrics = Some(counts_one(CommandOutcome::Unknown));
    let mut ports = mocks.ports();
    ports.store = Arc::new(HangingStore::over(ports.store.clone()).hanging_after_first_append());

    let err = service_over(ports, Duration::from_millis(200))
        .execute(&claims(seat), "g", Some("c1"), s01())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "outcome_unknown");
}

#[tokio::test]
async fn a_lost_reply_to_a_join_is_settled_by_the_events_at_its_place() {
    let mut mocks = Mocks::new();
    let (_, log) = history(3, 1);
    let version = log.len() as u64;
    let landed: Arc<parking_lot::Mutex<Vec<StoredEvent>>> = Arc::default();
    let served = log.clone();
    let extra = landed.clone();
    mocks.store.expect_read().returning(move |_, after, limit| {
        let mut all = served.clone();
        all.extend(extra.lock().iter().cloned());
        let rest: Vec<StoredEvent> = all
            .into_iter()
            .filter(|e| e.event_id > after)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        Ok(rest)
    });
    let mut sequence = Sequence::new();
    // The first append is stored, but its reply is lost.
    let first = landed.clone();
    mocks
        .store
        .expect_append()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |game, version, events, command_id, _| {
            *first.lock() = stored(game, version, events, command_id.as_deref());
            Err(AppendError::Unknown("connection reset".into()))
        });
    // Sent again: its place is taken (by itself).
    mocks
        .store
        .expect_append()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_, version, events, _, _| {
            let actual = version + events.len() as u64;
            Err(AppendError::Conflict { actual })
        });
    publishes_once(&mut mocks);
    mocks.metrics = Some(counts_one(CommandOutcome::Accepted));

    let joined = service(mocks, Duration::from_secs(5))
        .join("g", "Ben")
        .await
        .unwrap();
    assert_eq!(joined.seat, 1);
    assert_eq!(joined.last_event_id, version + 1);
}

#[tokio::test]
async fn a_repeated_command_id_is_counted_as_a_duplicate() {
    let mut mocks = Mocks::new();
    let (game, log) = history(2, 2);
    let seat = game.current_seat().unwrap();
    let version = log.len() as u64;
    let mut after = game.clone();
    let mut events = Vec::new();
    crate::application::testing::play(
        &mut after,
        &mut events,
        &crate::domain::Actor::Player(crate::domain::PlayerId::new(pid(seat))),
        &s01(),
    );
    let original = stored("g", version, events, Some("c1"));
    let mut full = log.clone();
    full.extend(original.iter().cloned());
    mocks.store.expect_read().returning(move |_, after, _| {
        let rest: Vec<StoredEvent> = full
            .iter()
            .filter(|e| e.event_id > after)
            .cloned()
            .collect();
        Ok(rest)
    });
    mocks.store.expect_find_command().returning(move |_, _| {
        let original = original.clone();
        Ok(Some(original))
    });
    mocks.store.expect_append().never();
    publishes_once(&mut mocks);
    mocks.metrics = Some(counts_one(CommandOutcome::Duplicate));

    let committed = service(mocks, Duration::from_secs(5))
        .execute(&claims(seat), "g", Some("c1"), s01())
        .await
        .unwrap();
    assert!(committed.duplicate);
}
