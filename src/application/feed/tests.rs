//! Feeds against a mocked bus (a channel the test pushes into) and a store that holds a log.

use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc;
use mockall::Sequence;
use parking_lot::Mutex;

use super::*;
use crate::application::ports::MockEventStore;
use crate::application::testing::{history, pid, play, stored, Mocks};
use crate::domain::{Actor, Command, Event, MerchantCardId, PlayerId};

/// A store whose log the test can extend, and the senders of the bus subscriptions (one per feed
/// opened, in order).
struct Harness {
    log: Arc<Mutex<Vec<StoredEvent>>>,
    bus: mpsc::UnboundedSender<BusMessage>,
    /// The subscriptions of the feeds opened after the first.
    more: Arc<Mutex<Vec<mpsc::UnboundedSender<BusMessage>>>>,
    service: FeedService,
    games: Arc<HotGames>,
    game: crate::domain::Game,
}

fn store_over(log: Arc<Mutex<Vec<StoredEvent>>>) -> MockEventStore {
    let mut store = MockEventStore::new();
    store.expect_read().returning(move |_, after, limit| {
        let rest: Vec<StoredEvent> = log
            .lock()
            .iter()
            .filter(|e| e.event_id > after)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Ok(rest)
    });
    store
}

fn harness(joined: u8, resync_after: Option<Duration>) -> Harness {
    let (game, events) = history(2, joined);
    let log = Arc::new(Mutex::new(events));
    let (tx, rx) = mpsc::unbounded();
    let mut first = Some(rx);
    let more = Arc::new(Mutex::new(Vec::new()));
    let mut mocks = Mocks::new();
    mocks.store = store_over(log.clone());
    let senders = more.clone();
    mocks.bus.expect_subscribe().returning(move |_| {
        let rx = first.take().unwrap_or_else(|| {
            let (tx, rx) = mpsc::unbounded();
            senders.lock().push(tx);
            rx
        });
        Ok(Box::pin(rx) as Subscription)
    });
    let ports = mocks.ports();
    let games = Arc::new(HotGames::new(ports.store.clone(), 10));
    let service = FeedService::new(
        ports,
        games.clone(),
        Arc::new(RuntimeCounters::default()),
        FeedSettings {
            resync_after,
            repair_page: 100,
        },
    );
    Harness {
        log,
        bus: tx,
        more,
        service,
        games,
        game,
    }
}

impl Harness {
    /// Plays the current seat's S01 in the log and returns the stored batch (not published).
    fn commit_move(&mut self) -> Vec<StoredEvent> {
        let seat = self.game.current_seat().expect("a running game");
        let mut events = Vec::new();
        let command = Command::PlayCard {
            card_id: "S01".parse::<MerchantCardId>().unwrap(),
            upgrades: vec![],
            times: 1,
        };
        let actor = Actor::Player(PlayerId::new(pid(seat)));
        if self.game.decide(&actor, &command).is_err() {
            play(&mut self.game, &mut events, &actor, &Command::Rest);
        } else {
            play(&mut self.game, &mut events, &actor, &command);
        }
        let mut log = self.log.lock();
        let batch = stored("g", log.len() as u64, events, None);
        log.extend(batch.clone());
        batch
    }

    /// Publishes `batch` to every feed opened, as the bus does: one shared batch.
    fn publish(&self, batch: &[StoredEvent]) {
        let batch: Arc<[StoredEvent]> = batch.to_vec().into();
        self.bus
            .unbounded_send(BusMessage::Events(batch.clone()))
            .unwrap();
        for bus in self.more.lock().iter() {
            bus.unbounded_send(BusMessage::Events(batch.clone()))
                .unwrap();
        }
    }
}

fn ids(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.event_id).collect()
}

async fn next(feed: &mut GameFeed) -> FeedUpdate {
    tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .expect("an update within 5 s")
        .expect("the feed is open")
        .expect("no error")
}

#[tokio::test]
async fn a_welcome_carries_the_current_state_and_live_batches_follow() {
    let mut h = harness(2, None);
    let version = h.log.lock().len() as u64;
    let (start, mut feed) = h.service.open("g", None, None).await.unwrap();
    let FeedStart::Welcome {
        last_event_id,
        state,
    } = start
    else {
        panic!("expected a welcome");
    };
    assert_eq!(last_event_id, version);
    assert_eq!(state.current_seat, h.game.current_seat());
    let batch = h.commit_move();
    h.publish(&batch);
    let update = next(&mut feed).await;
    assert_eq!(ids(&update.events), ids(&batch));
    assert_eq!(update.last_event_id, batch.last().unwrap().event_id);
    assert_eq!(update.state.common.current_seat, h.game.current_seat());
    assert_eq!(update.state.to_view(), h.game.view(Viewer::Spectator));
}

#[tokio::test]
async fn a_seated_feed_sees_what_the_game_shows_its_seat_on_every_turn() {
    let mut h = harness(2, None);
    let claims = PlayerClaims {
        player_id: pid(1),
        game_id: "g".into(),
        seat: 1,
        exp: i64::MAX,
    };
    let (_, mut feed) = h.service.open("g", Some(&claims), None).await.unwrap();
    let mut had_hints = false;
    for _ in 0..6 {
        let batch = h.commit_move();
        h.publish(&batch);
        let update = next(&mut feed).await;
        let expected = h.game.view(Viewer::Seat(1));
        assert_eq!(update.state.to_view(), expected);
        assert_eq!(
            update.state.common.viewer_seat, None,
            "the common part is nobody's"
        );
        assert_eq!(update.state.common.legal, None);
        had_hints |= update.state.legal.is_some();
    }
    assert!(had_hints, "seat 1 moved at least once in six turns");
}

#[tokio::test]
async fn the_feeds_of_a_game_share_each_run_of_events_and_the_game_after_it() {
    let mut h = harness(2, None);
    let claims = PlayerClaims {
        player_id: pid(0),
        game_id: "g".into(),
        seat: 0,
        exp: i64::MAX,
    };
    let (_, mut spectator) = h.service.open("g", None, None).await.unwrap();
    let (_, mut player) = h.service.open("g", Some(&claims), None).await.unwrap();
    assert!(
        Arc::ptr_eq(&spectator.sent.common, &player.sent.common),
        "opened at one version: one common view"
    );
    for _ in 0..4 {
        let batch = h.commit_move();
        h.publish(&batch);
        let seen = next(&mut spectator).await;
        let played = next(&mut player).await;
        assert!(
            Arc::ptr_eq(&seen.events, &played.events),
            "one copy of the events"
        );
        assert!(Arc::ptr_eq(&seen.state.common, &played.state.common));
        assert!(
            Arc::ptr_eq(&spectator.loaded, &player.loaded),
            "one copy of the game"
        );
        assert_eq!(ids(&played.events), ids(&batch));
        assert_eq!(played.state.to_view(), h.game.view(Viewer::Seat(0)));
        assert_eq!(seen.state.to_view(), h.game.view(Viewer::Spectator));
        assert!(
            played
                .events
                .iter()
                .all(|e| e.event == e.event.public().into_owned()),
            "public events only"
        );
    }
}

#[tokio::test]
async fn a_feed_behind_the_others_hands_out_its_own_run_with_the_game_they_built() {
    let mut h = harness(2, None);
    let (_, mut ahead) = h.service.open("g", None, None).await.unwrap();
    let (_, mut behind) = h.service.open("g", None, None).await.unwrap();
    let send = |bus: &mpsc::UnboundedSender<BusMessage>, batch: &[StoredEvent]| {
        bus.unbounded_send(BusMessage::Events(batch.to_vec().into()))
            .unwrap();
    };
    let first = h.commit_move();
    send(&h.bus, &first);
    next(&mut ahead).await;
    let second = h.commit_move();
    send(&h.bus, &second);
    let latest = next(&mut ahead).await;
    // `behind` lost both batches and reads them from the store at once: one update of both, with
    // the game at the end that `ahead` built.
    h.more.lock()[0].unbounded_send(BusMessage::Lagged).unwrap();
    let both = next(&mut behind).await;
    let mut expected = ids(&first);
    expected.extend(ids(&second));
    assert_eq!(ids(&both.events), expected);
    assert!(Arc::ptr_eq(&both.state.common, &latest.state.common));
    assert_eq!(both.state.to_view(), h.game.view(Viewer::Spectator));
    assert_eq!(behind.last_event_id(), ahead.last_event_id());
}

#[tokio::test]
async fn a_feed_takes_the_game_the_command_left_in_the_cache() {
    let mut h = harness(2, None);
    let (_, mut feed) = h.service.open("g", None, None).await.unwrap();
    let batch = h.commit_move();
    // What the command path leaves in the cache after its append.
    let cached = h.games.current("g").await.unwrap();
    assert_eq!(cached.version(), batch.last().unwrap().event_id);
    h.publish(&batch);
    let update = next(&mut feed).await;
    assert!(Arc::ptr_eq(&feed.loaded, &cached), "not folded again");
    assert_eq!(update.state.to_view(), h.game.view(Viewer::Spectator));
}

#[test]
fn a_game_keeps_its_latest_step_and_the_first_shared_of_one_run() {
    let steps = Steps::default();
    let log = stored(
        "g",
        0,
        crate::domain::random_player::play_game(2, 7, 50),
        None,
    );
    let step = |from: u64, to: u64| {
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&log[..to as usize]));
        Step {
            from,
            events: log[from as usize..to as usize].to_vec().into(),
            common: Arc::new(loaded.game.view(Viewer::Spectator)),
            loaded: Arc::new(loaded),
        }
    };
    assert!(steps.find(4, 5).is_none());
    let first = steps.share(step(4, 5));
    let again = steps.share(step(4, 5));
    assert!(
        Arc::ptr_eq(&first.loaded, &again.loaded),
        "the first one shared stays"
    );
    assert!(Arc::ptr_eq(
        &steps.find(4, 5).unwrap().common,
        &first.common
    ));
    assert!(steps.find(3, 5).is_none(), "a step is named by both ends");
    let (loaded, _) = steps.at(5).expect("the game at 5");
    assert!(Arc::ptr_eq(&loaded, &first.loaded));
    let newer = steps.share(step(5, 7));
    assert!(steps.find(4, 5).is_none(), "only the latest is kept");
    assert!(steps.at(5).is_none());
    // A feed behind the others does not replace the latest step with its own.
    let behind = steps.share(step(5, 6));
    assert_eq!(behind.to(), 6);
    assert!(steps.find(5, 6).is_none());
    assert!(Arc::ptr_eq(
        &steps.find(5, 7).unwrap().loaded,
        &newer.loaded
    ));
    let (loaded, _) = steps.at(7).expect("the game at 7");
    assert!(Arc::ptr_eq(&loaded, &newer.loaded));
}

#[tokio::test]
async fn duplicates_and_already_delivered_ids_are_dropped() {
    let mut h = harness(2, None);
    let (_, mut feed) = h.service.open("g", None, None).await.unwrap();
    let old = h.log.lock()[..2].to_vec();
    h.publish(&old);
    let first = h.commit_move();
    h.publish(&first);
    h.publish(&first);
    let second = h.commit_move();
    h.publish(&second);
    assert_eq!(ids(&next(&mut feed).await.events), ids(&first));
    assert_eq!(ids(&next(&mut feed).await.events), ids(&second));
}

#[tokio::test]
async fn a_gap_is_filled_from_the_store_in_order() {
    let mut h = harness(2, None);
    let (_, mut feed) = h.service.open("g", None, None).await.unwrap();
    let first = h.commit_move();
    let second = h.commit_move();
    // The bus lost the first batch.
    h.publish(&second);
    let update = next(&mut feed).await;
    let mut expected = ids(&first);
    expected.extend(ids(&second));
    assert_eq!(ids(&update.events), expected);
    h.publish(&first);
    let third = h.commit_move();
    h.publish(&third);
    assert_eq!(
        ids(&next(&mut feed).await.events),
        ids(&third),
        "the late batch is dropped"
    );
}

#[tokio::test]
async fn a_lag_notice_makes_the_feed_read_the_store() {
    let mut h = harness(2, None);
    let (_, mut feed) = h.service.open("g", None, None).await.unwrap();
    let missed = h.commit_move();
    h.bus.unbounded_send(BusMessage::Lagged).unwrap();
    assert_eq!(ids(&next(&mut feed).await.events), ids(&missed));
}

#[tokio::test]
async fn a_quiet_feed_checks_the_store_for_dropped_events() {
    let mut h = harness(2, Some(Duration::from_millis(50)));
    let (_, mut feed) = h.service.open("g", None, None).await.unwrap();
    let missed = h.commit_move();
    assert_eq!(ids(&next(&mut feed).await.events), ids(&missed));
}

#[tokio::test]
async fn a_reconnect_receives_exactly_the_events_it_missed_then_live_ones() {
    let mut h = harness(2, None);
    let seen = h.log.lock().len() as u64;
    let missed_one = h.commit_move();
    let missed_two = h.commit_move();
    let (start, mut feed) = h.service.open("g", None, Some(seen)).await.unwrap();
    let FeedStart::CatchUp {
        missed,
        last_event_id,
        ..
    } = start
    else {
        panic!("expected a catch-up");
    };
    let mut expected = ids(&missed_one);
    expected.extend(ids(&missed_two));
    assert_eq!(ids(&missed), expected);
    assert_eq!(last_event_id, *expected.last().unwrap());
    h.publish(&missed_two);
    let live = h.commit_move();
    h.publish(&live);
    assert_eq!(ids(&next(&mut feed).await.events), ids(&live));
}

#[tokio::test]
async fn hidden_information_never_leaves_a_feed() {
    let h = harness(2, None);
    let (start, _feed) = h.service.open("g", None, Some(0)).await.unwrap();
    let FeedStart::CatchUp { missed, .. } = start else {
        panic!("expected a catch-up");
    };
    assert!(matches!(
        missed[0].event,
        Event::GameCreated { hidden: None, .. }
    ));
    assert!(
        h.log.lock()[0].event != missed[0].event,
        "the store itself keeps the setup"
    );
}

#[tokio::test]
async fn a_client_ahead_of_the_game_is_refused() {
    let h = harness(2, None);
    let err = h.service.open("g", None, Some(999)).await.unwrap_err();
    assert_eq!(err.code(), "invalid_last_event_id");
}

#[tokio::test]
async fn a_player_sees_its_own_seat_and_a_foreign_token_is_refused() {
    let h = harness(2, None);
    let claims = PlayerClaims {
        player_id: pid(1),
        game_id: "g".into(),
        seat: 1,
        exp: i64::MAX,
    };
    let (start, feed) = h.service.open("g", Some(&claims), None).await.unwrap();
    assert_eq!(feed.seat(), Some(1));
    let FeedStart::Welcome { state, .. } = start else {
        panic!("expected a welcome");
    };
    assert_eq!(state.viewer_seat, Some(1));
    let foreign = PlayerClaims {
        game_id: "other".into(),
        ..claims
    };
    assert_eq!(
        h.service
            .open("g", Some(&foreign), None)
            .await
            .unwrap_err()
            .code(),
        "wrong_game"
    );
}

#[tokio::test]
async fn the_feed_subscribes_before_it_reads_the_store() {
    let (_, events) = history(2, 2);
    let mut mocks = Mocks::new();
    let mut order = Sequence::new();
    let (_tx, rx) = mpsc::unbounded::<BusMessage>();
    mocks
        .bus
        .expect_subscribe()
        .times(1)
        .in_sequence(&mut order)
        .return_once(move |_| Ok(Box::pin(rx) as Subscription));
    mocks
        .store
        .expect_read()
        .times(1)
        .in_sequence(&mut order)
        .returning(move |_, _, _| {
            let events = events.clone();
            Ok(events)
        });
    let ports = mocks.ports();
    let games = Arc::new(HotGames::new(ports.store.clone(), 10));
    let service = FeedService::new(
        ports,
        games,
        Arc::new(RuntimeCounters::default()),
        FeedSettings::default(),
    );
    service.open("g", None, None).await.unwrap();
}

#[tokio::test]
async fn an_unknown_game_has_no_feed_and_open_feeds_are_counted() {
    let h = harness(2, None);
    let counters = h.service.counters.clone();
    let (_, feed) = h.service.open("g", None, None).await.unwrap();
    assert_eq!(counters.open_feeds(), 1);
    drop(feed);
    assert_eq!(counters.open_feeds(), 0);

    let mut mocks = Mocks::new();
    mocks.store = store_over(Arc::new(Mutex::new(Vec::new())));
    let (_tx, rx) = mpsc::unbounded::<BusMessage>();
    mocks
        .bus
        .expect_subscribe()
        .return_once(move |_| Ok(Box::pin(rx) as Subscription));
    let ports = mocks.ports();
    let games = Arc::new(HotGames::new(ports.store.clone(), 10));
    let service = FeedService::new(
        ports,
        games,
        Arc::new(RuntimeCounters::default()),
        FeedSettings::default(),
    );
    let err = service.open("nope", None, None).await.unwrap_err();
    assert_eq!(err.code(), "game_not_found");
}
