use super::*;
use caravan::domain::Spices;

#[test]
fn frames_are_read_without_their_states() {
    let welcome = r#"{"type":"welcome","gameId":"g","seat":null,"lastEventId":7,"state":{"players":[{"seat":0}]}}"#;
    assert_eq!(
        parse_frame(welcome),
        Ok(Frame::Welcome { last_event_id: 7 })
    );
    assert_eq!(
        parse_frame(r#"{"type":"state","lastEventId":9,"state":{"x":[1,2,{"y":"z"}]}}"#),
        Ok(Frame::State { last_event_id: 9 })
    );
    assert_eq!(
        parse_frame(r#"{"type":"commandResult","requestId":"r1","ok":true,"eventIds":[3,4]}"#),
        Ok(Frame::CommandResult {
            request_id: "r1".into(),
            error: None,
            event_ids: vec![3, 4]
        })
    );
    assert_eq!(
        parse_frame(
            r#"{"type":"commandResult","requestId":"r2","ok":false,"error":{"code":"not_your_turn","message":"…"}}"#
        ),
        Ok(Frame::CommandResult {
            request_id: "r2".into(),
            error: Some("not_your_turn".into()),
            event_ids: vec![]
        })
    );
    assert_eq!(
        parse_frame(r#"{"type":"error","error":{"code":"rate_limited","message":"slow down"}}"#),
        Ok(Frame::Error {
            code: "rate_limited".into()
        })
    );
    assert_eq!(parse_frame(r#"{"type":"pong"}"#), Ok(Frame::Pong));
    // Another field order, or a number that does not end, goes through the full parser.
    assert_eq!(
        parse_frame(r#"{"lastEventId":4,"type":"state","state":{}}"#),
        Ok(Frame::State { last_event_id: 4 })
    );
    assert_eq!(
        state_fast_path(r#"{"type":"state","lastEventId":12x"#),
        None
    );
    assert_eq!(state_fast_path(r#"{"type":"state","lastEventId":,"#), None);
    assert!(parse_frame("[1]").is_err());
    assert!(parse_frame(r#"{"type":"state"}"#).is_err());
}

#[test]
fn event_frames_become_domain_events() {
    let frame = r#"{"type":"event","gameId":"g1","eventId":12,"eventType":"SpicesDiscarded","schemaVersion":1,
        "timestamp":"2024-01-01T00:00:00Z","data":{"seat":1,"spices":{"yellow":2,"red":0,"green":0,"brown":0}}}"#;
    let Ok(Frame::Event {
        game_id,
        event_id,
        event,
    }) = parse_frame(frame)
    else {
        panic!("an event frame");
    };
    assert_eq!(game_id.as_deref(), Some("g1"));
    assert_eq!(event_id, 12);
    assert_eq!(
        *event,
        Event::SpicesDiscarded {
            seat: 1,
            spices: Spices::new(2, 0, 0, 0)
        }
    );
    let broken = r#"{"type":"event","eventId":3,"eventType":"NoSuchEvent","data":{}}"#;
    assert!(parse_frame(broken).is_err());
    // Data before the other fields: the frame is read field by field, in any order.
    let reordered = r#"{"type":"event","data":{"seat":0,"spices":{"yellow":1}},"eventId":4,"eventType":"SpicesDiscarded"}"#;
    let expected = Frame::Event {
        game_id: None,
        event_id: 4,
        event: Box::new(Event::SpicesDiscarded {
            seat: 0,
            spices: Spices::new(1, 0, 0, 0),
        }),
    };
    assert_eq!(event_fast_path(reordered), Some(expected.clone()));
    assert_eq!(parse_frame(reordered), Ok(expected));
    // A data object that does not fit its type falls back, and fails there too.
    let wrong = r#"{"type":"event","eventId":5,"eventType":"SpicesDiscarded","data":{"seat":"x"}}"#;
    assert!(event_fast_path(wrong).is_none());
    assert!(parse_frame(wrong).is_err());
    assert!(matches!(
        parse_frame(reordered),
        Ok(Frame::Event { event_id: 4, .. })
    ));
}

#[test]
fn every_public_event_survives_the_trip() {
    // The events of a whole bot game, as the server would frame them.
    let events = caravan::domain::random_player::play_game(3, 11, 2_000);
    for (i, event) in events.iter().enumerate() {
        let public = event.public();
        let value = serde_json::to_value(&*public).unwrap();
        let frame = serde_json::json!({
            "type": "event", "gameId": "g", "eventId": i + 1,
            "eventType": public.event_type(), "data": value["data"].clone(),
        });
        let text = frame.to_string();
        let Ok(Frame::Event { event: back, .. }) = parse_frame(&text) else {
            panic!("event {i} unreadable");
        };
        assert_eq!(*back, *public);
        assert!(
            event_fast_path(&text).is_some(),
            "the usual shape is read directly"
        );
    }
}

#[test]
fn update_frames_are_read_into_their_events_without_their_patch() {
    let text = r#"{"type":"update","events":[[8,"SpicesDiscarded",1,"2024-01-01T00:00:00Z",{"seat":1,"spices":{"yellow":2,"red":0,"green":0,"brown":0}}],[9,"TurnEnded",1,null,{"seat":1,"nextSeat":0,"round":3,"endTriggered":false}]],"patch":{"players":{"1":{"caravan":{"yellow":3}}},"currentSeat":0,"legal":null}}"#;
    let Ok(Frame::Update {
        last_event_id,
        events,
        patch_bytes,
        legal_bytes,
    }) = parse_frame(text)
    else {
        panic!("an update frame");
    };
    assert_eq!(last_event_id, 9);
    let patch = r#"{"players":{"1":{"caravan":{"yellow":3}}},"currentSeat":0,"legal":null}"#;
    assert_eq!(patch_bytes, patch.len());
    assert_eq!(legal_bytes, 0, "a null legal holds no hints");
    assert_eq!(
        events.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![8, 9]
    );
    assert_eq!(
        events[0].1,
        Event::SpicesDiscarded {
            seat: 1,
            spices: Spices::new(2, 0, 0, 0)
        }
    );
    // Fields in another order are read the same; a broken event or patch is an error.
    let reordered = r#"{"patch":{},"events":[[8,"TurnEnded",1,"2024-01-01T00:00:00Z",{"seat":1,"nextSeat":0,"round":3,"endTriggered":false}]],"type":"update"}"#;
    assert!(matches!(
        parse_frame(reordered),
        Ok(Frame::Update {
            last_event_id: 8,
            ..
        })
    ));
    let wrong = r#"{"type":"update","events":[[8,"TurnEnded",1,"x",{"seat":"one"}]],"patch":{}}"#;
    assert!(parse_frame(wrong).is_err());
    let unclosed = r#"{"type":"update","events":[[8,"TurnEnded",1,null,{}]],"patch":{"#;
    assert!(parse_frame(unclosed).is_err());
    let empty = r#"{"type":"update","events":[],"patch":{}}"#;
    assert!(parse_frame(empty).is_err());
}

#[test]
fn the_legal_hints_of_a_patch_are_counted_apart() {
    let legal = r#""legal":{"playable":[{"cardId":"S01","kind":"spice","maxTimes":null,"upgradeSteps":null}],"acquirable":[0],"claimable":[],"canRest":false,"discardOwed":null}"#;
    let text = format!(
        r#"{{"type":"update","events":[[9,"TurnEnded",1,"2024-01-01T00:00:00Z",[1,2,1,false]]],"patch":{{"currentSeat":2,{legal}}}}}"#
    );
    let Ok(Frame::Update {
        patch_bytes,
        legal_bytes,
        ..
    }) = parse_frame(&text)
    else {
        panic!("an update frame");
    };
    assert_eq!(legal_bytes, legal.len());
    assert_eq!(patch_bytes, r#"{"currentSeat":2,}"#.len() + legal.len());
    // A member named legal deeper down is not the hints.
    let nested = r#"{"type":"update","events":[[9,"TurnEnded",1,"t",[1,2,1,false]]],"patch":{"players":{"0":{"legal":1}}}}"#;
    assert!(matches!(
        parse_frame(nested),
        Ok(Frame::Update { legal_bytes: 0, .. })
    ));
}

#[test]
fn protocol_3_update_frames_read_into_the_same_events() {
    let objects = r#"{"type":"update","events":[[8,"CardPlayed",1,"2024-01-01T00:00:00Z",{"seat":1,"cardId":"S02","gained":{"yellow":0,"red":2,"green":0,"brown":0},"paid":{"yellow":2,"red":0,"green":0,"brown":0},"times":1,"upgrades":["yellow","yellow"]}],[9,"TurnEnded",1,null,{"seat":1,"nextSeat":0,"round":3,"endTriggered":false}]],"patch":{}}"#;
    let arrays = r#"{"type":"update","events":[[8,"CardPlayed",1,"2024-01-01T00:00:00Z",[1,"S02",[0,2,0,0],[2,0,0,0],1,["yellow","yellow"]]],[9,"TurnEnded",1,null,[1,0,3,false]]],"patch":{}}"#;
    let read = |text| match parse_frame(text) {
        Ok(Frame::Update { events, .. }) => events,
        other => panic!("an update frame: {other:?}"),
    };
    assert_eq!(read(arrays), read(objects));
    assert_eq!(
        read(arrays)[1].1,
        Event::TurnEnded {
            seat: 1,
            next_seat: 0,
            round: 3,
            end_triggered: false
        }
    );
    // Values out of order do not read.
    let swapped = r#"{"type":"update","events":[[9,"TurnEnded",1,null,[false,1,0,3]]],"patch":{}}"#;
    assert!(parse_frame(swapped).is_err());
}

#[test]
fn protocol_4_update_frames_read_into_the_same_events_and_hints() {
    let objects = r#"{"type":"update","events":[[8,"CardPlayed",1,"2024-01-01T00:00:00Z",[1,"S02",[0,2,0,0],[2,0,0,0],1,["yellow","yellow"]]],[9,"TurnEnded",1,null,[1,0,3,false]]],"patch":{"currentSeat":0,"legal":{"playable":[],"acquirable":[0],"claimable":[],"canRest":true,"discardOwed":null}}}"#;
    let packed = r#"[[[8,"CardPlayed",1,1704067200000,[1,"S02",[0,2,0,0],[2,0,0,0],1,["yellow","yellow"]]],[9,"TurnEnded",1,null,[1,0,3,false]]],{"currentSeat":0,"legal":[[],[0],[],true,null]}]"#;
    let read = |text: &str| match parse_frame(text) {
        Ok(Frame::Update {
            last_event_id,
            events,
            legal_bytes,
            ..
        }) => (last_event_id, events, legal_bytes),
        other => panic!("an update frame: {other:?}"),
    };
    let (version, events, legal) = read(packed);
    assert_eq!((version, &events), (read(objects).0, &read(objects).1));
    assert_eq!(legal, r#""legal":[[],[0],[],true,null]"#.len());
    for refused in [
        r#"[[[9,"TurnEnded",1,5,[1,0,3,false]]]]"#,
        r#"[[[9,"TurnEnded",1,5,[1,0,3,false]]],{},1]"#,
        r#"[[[9,"TurnEnded",1,5,[1,0,3,false]]],[]]"#,
        r#"[[],{}]"#,
    ] {
        assert!(parse_frame(refused).is_err(), "{refused}");
    }
}

#[test]
fn the_checker_follows_updates_and_finds_their_gaps() {
    let mut c = StreamChecker::new("bot", 4);
    assert!(c.update([5, 6], 6).is_ok());
    assert_eq!(c.update([8], 8).unwrap_err().kind, "gap");
    let mut c = StreamChecker::new("bot", 4);
    assert_eq!(c.update([5], 6).unwrap_err().kind, "state_ahead");
}

#[test]
fn the_checker_finds_gaps_repeats_and_markers_out_of_step() {
    let mut c = StreamChecker::new("bot", 0);
    assert!(c.event(1).is_ok());
    assert!(c.event(2).is_ok());
    assert!(c.marker("state", 2).is_ok());
    assert_eq!(c.event(4).unwrap_err().kind, "gap");
    assert_eq!(c.last(), 4);
    assert_eq!(c.event(4).unwrap_err().kind, "repeat");
    assert_eq!(c.event(3).unwrap_err().kind, "repeat");
    assert!(c.event(5).is_ok());
    assert_eq!(c.marker("state", 6).unwrap_err().kind, "state_ahead");
    assert_eq!(c.marker("caughtUp", 4).unwrap_err().kind, "state_behind");
    let mut resumed = StreamChecker::new("again", 50);
    assert_eq!(resumed.event(50).unwrap_err().kind, "repeat");
    assert!(resumed.event(51).is_ok());
}
