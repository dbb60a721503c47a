use super::*;
use crate::application::ports::StoredEvent;

#[test]
fn event_frames_written_directly_equal_the_general_encoding() {
    let events = crate::domain::random_player::play_game(4, 17, 2_000);
    let created = events.iter().any(|e| {
        matches!(
            e,
            crate::domain::Event::GameCreated {
                hidden: Some(_),
                ..
            }
        )
    });
    assert!(created, "the history holds hidden information to redact");
    for (i, event) in events.into_iter().enumerate() {
        let stored = StoredEvent {
            game_id: "g-1".into(),
            event_id: i as u64 + 1,
            command_id: Some("c\"1".into()),
            timestamp: chrono::Utc::now(),
            event,
        };
        let direct = event_frame(&stored);
        let general = ServerMessage::Event(EventDto::from(&stored)).to_frame();
        assert_eq!(direct, general);
        let value: Value = serde_json::from_str(&direct).unwrap();
        assert!(value["data"].is_object(), "{direct}");
        assert!(!direct.contains("merchantDeck"), "redacted: {direct}");
    }
}

fn refusal(text: &str) -> Refusal {
    parse(text).expect_err("refused")
}

#[test]
fn a_command_message_carries_its_request_id_and_the_domain_command() {
    let parsed =
        parse(r#"{"type":"command","requestId":"r1","command":{"type":"claim","slot":2}}"#);
    assert_eq!(
        parsed,
        Ok(ClientMessage::Command {
            request_id: "r1".into(),
            command: Command::Claim { slot: 2 },
        })
    );
}

#[test]
fn a_message_has_exactly_the_fields_of_its_type() {
    assert_eq!(parse(r#"{"type":"ping"}"#), Ok(ClientMessage::Ping));
    assert_eq!(
        refusal(r#"{"type":"ping","at":1}"#).code,
        codes::INVALID_MESSAGE
    );
    let extra =
        refusal(r#"{"type":"command","requestId":"r1","command":{"type":"rest"},"seat":1}"#);
    assert_eq!(extra.code, codes::INVALID_MESSAGE);
    assert_eq!(
        extra.request_id.as_deref(),
        Some("r1"),
        "answered as a commandResult"
    );
}

#[test]
fn each_kind_of_bad_input_has_its_code() {
    assert_eq!(refusal("not json").code, codes::INVALID_JSON);
    assert_eq!(refusal("[1,2]").code, codes::INVALID_MESSAGE);
    assert_eq!(refusal(r#"{"requestId":"x"}"#).code, codes::INVALID_MESSAGE);
    assert_eq!(refusal(r#"{"type":7}"#).code, codes::INVALID_MESSAGE);
    assert_eq!(
        refusal(r#"{"type":"dance"}"#).code,
        codes::UNKNOWN_MESSAGE_TYPE
    );
    assert_eq!(
        refusal(r#"{"type":"command","requestId":5,"command":{"type":"rest"}}"#).code,
        codes::INVALID_MESSAGE
    );
    assert_eq!(
        refusal(r#"{"type":"command","command":{"type":"rest"}}"#).code,
        codes::INVALID_MESSAGE
    );
}

#[test]
fn a_bad_command_object_is_answered_with_the_request_id() {
    for text in [
        r#"{"type":"command","requestId":"r","command":{"type":"playCard","cardId":42}}"#,
        r#"{"type":"command","requestId":"r","command":{"type":"teleport"}}"#,
        r#"{"type":"command","requestId":"r","command":"rest"}"#,
        r#"{"type":"command","requestId":"r"}"#,
    ] {
        let refused = refusal(text);
        assert_eq!(refused.code, codes::INVALID_COMMAND, "{text}");
        assert_eq!(refused.request_id.as_deref(), Some("r"), "{text}");
        assert!(refused.to_frame().contains(r#""type":"commandResult""#));
    }
}

#[test]
fn server_messages_have_the_documented_shape() {
    let frame = ServerMessage::CaughtUp {
        last_event_id: 7,
        protocol: 2,
    }
    .to_frame();
    assert_eq!(frame, r#"{"type":"caughtUp","lastEventId":7,"protocol":2}"#);
    assert_eq!(ServerMessage::Pong.to_frame(), r#"{"type":"pong"}"#);
    let frame = ServerMessage::error_code("rate_limited", "slow down").to_frame();
    assert_eq!(
        frame,
        r#"{"type":"error","error":{"code":"rate_limited","message":"slow down"}}"#
    );
    let ok = CommandResult::accepted(
        "r9".into(),
        &Committed {
            game_id: "g".into(),
            event_ids: vec![4, 5],
            last_event_id: 5,
            duplicate: false,
        },
    );
    assert_eq!(
        ServerMessage::CommandResult(ok).to_frame(),
        r#"{"type":"commandResult","requestId":"r9","ok":true,"eventIds":[4,5],"lastEventId":5,"duplicate":false}"#
    );
}
