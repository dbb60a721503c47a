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

/// A store whose log the test can extend, and the sender of the bus subscription.
struct Harness {
    log: Arc<Mutex<Vec<StoredEvent>>>,
    bus: mpsc::UnboundedSender<BusMessage>,
    service: FeedService,
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
    let mut mocks = Mocks::new();
    mocks.store = store_over(log.clone());
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
        FeedSettings {
            resync_after,
            repair_page: 100,
        },
    );
    Harness {
        log,
        bus: tx,
        service,
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

    fn publish(&self, batch: &[StoredEvent]) {
        self.bus
            .unbounded_send(BusMessage::Events(batch.to_vec().into()))
            .unwrap();
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

#[test]
fn feeds_of_one_version_share_its_common_view_and_build_it_once() {
    let views = CommonViews::default();
    let (game, _) = history(2, 2);
    let mut built = 0;
    let first = views.at(5, || {
        built += 1;
        game.view(Viewer::Spectator)
    });
    let second = views.at(5, || {
        built += 1;
        game.view(Viewer::Spectator)
    });
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(built, 1);
    let later = views.at(6, || game.view(Viewer::Spectator));
    assert!(!Arc::ptr_eq(&first, &later));
    // A feed behind the others builds its own and does not replace the newer one.
    let behind = views.at(5, || game.view(Viewer::Spectator));
    assert!(!Arc::ptr_eq(&first, &behind));
    assert!(Arc::ptr_eq(&later, &views.at(6, || unreachable!())));
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
