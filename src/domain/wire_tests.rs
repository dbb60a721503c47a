//! Wire-format tests: the serde shapes of commands, events and views are the protocol.
//!
//! This test-only module uses `serde_json` to pin those shapes; the domain itself never imports
//! it. It also checks the card table against the `cards.json` copy kept beside it.

use serde_json::{json, Value};

use super::cards::{deck_merchant_ids, merchant, point_ids};
use super::random_player::play_game;
use super::testkit::*;
use super::*;

fn round_trip_command(command: &Command) -> Value {
    let value = serde_json::to_value(command).unwrap();
    let back: Command = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(&back, command);
    value
}

#[test]
fn commands_round_trip_in_their_wire_shape() {
    let create = Command::CreateGame {
        num_players: 3,
        seed: 42,
        scenario: Some(Scenario {
            merchant_deck: vec![m("M10")],
            point_deck: vec![p("P36")],
        }),
        caravan_capacity: Some(12),
        point_cards_to_end: None,
        turn_clock: None,
    };
    assert_eq!(
        round_trip_command(&create),
        json!({"type": "createGame", "numPlayers": 3, "seed": 42,
               "scenario": {"merchantDeck": ["M10"], "pointDeck": ["P36"]}, "caravanCapacity": 12})
    );
    assert_eq!(
        round_trip_command(&join(1)),
        json!({"type": "join", "playerId": "p1", "name": "Player 1"})
    );
    assert_eq!(
        round_trip_command(&Command::Leave),
        json!({"type": "leave"})
    );
    assert_eq!(
        round_trip_command(&upgrade("S02", "YR")),
        json!({"type": "playCard", "cardId": "S02", "upgrades": ["yellow", "red"], "times": 1})
    );
    assert_eq!(
        round_trip_command(&acquire(2, "YG")),
        json!({"type": "acquire", "slot": 2, "payment": ["yellow", "green"]})
    );
    assert_eq!(round_trip_command(&Command::Rest), json!({"type": "rest"}));
    assert_eq!(
        round_trip_command(&claim(4)),
        json!({"type": "claim", "slot": 4})
    );
    assert_eq!(
        round_trip_command(&discard("YB")),
        json!({"type": "discard", "spices": {"yellow": 1, "red": 0, "green": 0, "brown": 1}})
    );
}

#[test]
fn optional_command_fields_take_their_defaults() {
    let play: Command =
        serde_json::from_value(json!({"type": "playCard", "cardId": "M10"})).unwrap();
    assert_eq!(play, trade("M10", 1));
    let take: Command = serde_json::from_value(json!({"type": "acquire", "slot": 0})).unwrap();
    assert_eq!(take, acquire(0, ""));
    let drop: Command =
        serde_json::from_value(json!({"type": "discard", "spices": {"red": 2}})).unwrap();
    assert_eq!(drop, discard("RR"));
    let create: Command =
        serde_json::from_value(json!({"type": "createGame", "numPlayers": 2, "seed": 1})).unwrap();
    assert!(matches!(
        create,
        Command::CreateGame {
            scenario: None,
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
            ..
        }
    ));
}

#[test]
fn unknown_card_ids_fail_to_deserialise() {
    for bad in ["M00", "M44", "S03", "P37", "X01", "m01", "M1", "M001", ""] {
        let command = json!({"type": "playCard", "cardId": bad});
        assert!(serde_json::from_value::<Command>(command).is_err(), "{bad}");
        assert!(bad.parse::<MerchantCardId>().is_err(), "{bad}");
    }
    assert!(serde_json::from_value::<PointCardId>(json!("P00")).is_err());
    assert!(serde_json::from_value::<MerchantCardId>(json!(7)).is_err());
    assert_eq!(
        serde_json::from_value::<PointCardId>(json!("P36")).unwrap(),
        p("P36")
    );
}

#[test]
fn every_event_of_a_whole_game_round_trips_with_a_type_and_data() {
    let events = play_game(4, 99, 2_000);
    assert_eq!(events.last().unwrap().event_type(), "GameEnded");
    let mut seen = std::collections::BTreeSet::new();
    for event in &events {
        let value = serde_json::to_value(event).unwrap();
        assert_eq!(value["type"], event.event_type());
        assert!(value["data"].is_object(), "{value}");
        assert!(Event::TYPES.contains(&event.event_type()));
        assert_eq!(event.schema_version(), 1);
        let back: Event = serde_json::from_value(value).unwrap();
        assert_eq!(&back, event);
        seen.insert(event.event_type());
    }
    for kind in [
        "GameCreated",
        "PlayerJoined",
        "GameStarted",
        "CardPlayed",
        "TurnEnded",
    ] {
        assert!(seen.contains(kind), "{kind}");
    }
    let played = events
        .iter()
        .find(|e| e.event_type() == "CardPlayed")
        .unwrap();
    let value = serde_json::to_value(played).unwrap();
    for key in ["seat", "cardId", "gained", "paid", "times", "upgrades"] {
        assert!(value["data"].get(key).is_some(), "{key} in {value}");
    }
}

#[test]
fn the_public_projection_of_game_created_carries_no_seed_and_no_deck() {
    let events = play_game(2, 5, 10);
    let created = &events[0];
    let secret = serde_json::to_string(created).unwrap();
    assert!(secret.contains("\"seed\":5") && secret.contains("merchantDeck"));
    let public = serde_json::to_value(created.public().as_ref()).unwrap();
    assert_eq!(
        public,
        json!({"type": "GameCreated", "data": {"numPlayers": 2,
            "rules": {"caravanCapacity": 10, "pointCardsToEnd": 6, "numPlayers": 2,
                "turnSeconds": null, "timeoutsToForfeit": 3}}})
    );
    for event in &events[1..] {
        assert_eq!(event.public().as_ref(), event);
    }
}

#[test]
fn a_view_does_not_depend_on_the_hidden_deck_order() {
    // given two games whose rows are the same but whose decks differ beyond them
    let setup = |seed| Setup {
        seed,
        merchant_deck: vec!["M01", "M02", "M03", "M04", "M05", "M06"],
        point_deck: vec!["P01", "P02", "P03", "P04", "P05"],
        ..Setup::default()
    };
    let a = Table::with(3, setup(1));
    let b = Table::with(3, setup(2));
    assert_ne!(a.game, b.game);
    // then every viewer sees the same thing in both
    for viewer in [Viewer::Spectator, Viewer::Seat(0), Viewer::Seat(1)] {
        let va = serde_json::to_value(a.game.view(viewer)).unwrap();
        let vb = serde_json::to_value(b.game.view(viewer)).unwrap();
        assert_eq!(va, vb);
        let text = va.to_string();
        assert!(!text.contains("seed") && !text.contains("Deck\""), "{text}");
    }
}

#[test]
fn the_view_is_camel_case_with_hints_only_for_the_seat_to_move() {
    let t = Table::started(2);
    let mine = serde_json::to_value(t.game.view(Viewer::Seat(0))).unwrap();
    for key in [
        "status",
        "numPlayers",
        "merchantRow",
        "pointRow",
        "goldLeft",
        "silverLeft",
        "merchantDeckCount",
        "pointDeckCount",
        "currentSeat",
        "endTriggered",
        "viewerSeat",
    ] {
        assert!(mine.get(key).is_some(), "{key}");
    }
    assert_eq!(mine["status"], "active");
    assert_eq!(mine["legal"]["canRest"], false);
    assert_eq!(mine["legal"]["playable"][1]["kind"], "upgrade");
    assert_eq!(mine["legal"]["playable"][1]["upgradeSteps"], 2);
    let theirs = serde_json::to_value(t.game.view(Viewer::Seat(1))).unwrap();
    assert_eq!(theirs["legal"], Value::Null);
}

#[test]
fn the_card_table_matches_cards_json() {
    let data: Value = serde_json::from_str(include_str!("cards.json")).unwrap();
    let spices = |v: &Value| {
        Spices::new(
            v["yellow"].as_u64().unwrap() as u16,
            v["red"].as_u64().unwrap() as u16,
            v["green"].as_u64().unwrap() as u16,
            v["brown"].as_u64().unwrap() as u16,
        )
    };
    let starting = data["starting_merchant_cards"].as_array().unwrap();
    let deck = data["merchant_cards"].as_array().unwrap();
    assert_eq!(deck.len(), deck_merchant_ids().len());
    for card in starting.iter().chain(deck) {
        let id: MerchantCardId = card["id"].as_str().unwrap().parse().unwrap();
        let ours = merchant(id);
        assert_eq!(ours.label, card["label"].as_str().unwrap(), "{id}");
        let expected = match card["kind"].as_str().unwrap() {
            "spice" => MerchantKind::Spice {
                gain: spices(&card["gain"]),
            },
            "upgrade" => MerchantKind::Upgrade {
                steps: card["upgrades"].as_u64().unwrap() as u8,
            },
            "trade" => MerchantKind::Trade {
                input: spices(&card["input"]),
                output: spices(&card["output"]),
            },
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(ours.kind, expected, "{id}");
    }
    let points = data["point_cards"].as_array().unwrap();
    assert_eq!(points.len(), point_ids().len());
    for card in points {
        let id: PointCardId = card["id"].as_str().unwrap().parse().unwrap();
        let ours = id.card();
        assert_eq!(ours.cost, spices(&card["cost"]), "{id}");
        assert_eq!(
            u64::from(ours.points),
            card["points"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(ours.label, card["label"].as_str().unwrap(), "{id}");
    }
}

#[test]
fn the_catalogue_serialises_with_kind_tags() {
    let value = serde_json::to_value(catalogue()).unwrap();
    assert_eq!(
        value["startingCards"][0],
        json!({"cardId": "S01", "kind": "spice",
        "gain": {"yellow": 2, "red": 0, "green": 0, "brown": 0}, "label": "+YY"})
    );
    assert_eq!(value["merchantCards"].as_array().unwrap().len(), 43);
    assert_eq!(value["merchantCards"][8]["kind"], "upgrade");
    assert_eq!(value["merchantCards"][8]["steps"], 3);
    assert_eq!(value["pointCards"].as_array().unwrap().len(), 36);
    assert_eq!(value["pointCards"][35]["points"], 20);
}

#[test]
fn every_card_id_is_written_as_its_catalogue_name() {
    let merchant: Vec<MerchantCardId> = (0..64).filter_map(MerchantCardId::from_index).collect();
    let names: Vec<String> = merchant.iter().map(ToString::to_string).collect();
    let expected: Vec<String> = ["S01".to_string(), "S02".to_string()]
        .into_iter()
        .chain((1..=43).map(|n| format!("M{n:02}")))
        .collect();
    assert_eq!(names, expected);
    for id in merchant {
        assert_eq!(serde_json::to_value(id).unwrap(), json!(id.to_string()));
        assert_eq!(id.to_string().parse::<MerchantCardId>().unwrap(), id);
    }
    let points: Vec<PointCardId> = (0..64).filter_map(PointCardId::from_index).collect();
    let names: Vec<String> = points.iter().map(ToString::to_string).collect();
    let expected: Vec<String> = (1..=36).map(|n| format!("P{n:02}")).collect();
    assert_eq!(names, expected);
    for id in points {
        assert_eq!(serde_json::to_value(id).unwrap(), json!(id.to_string()));
    }
}
