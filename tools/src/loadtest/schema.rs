//! The server's published WebSocket schema (`/api/schema/ws.json`), held against the first frames
//! of each kind the generator receives (each `type`, and each `eventType` of events): a frame the
//! schema refuses is a violation, like a gap in a stream. Later frames of a kind are not checked,
//! so the check costs nothing once every kind has been seen.

use std::collections::HashMap;

use parking_lot::Mutex;
use serde_json::{json, Value};

/// Frames of each kind checked.
const CHECKED_PER_KIND: u32 = 3;

/// The schema's `ServerMessage`, and how many frames of each kind were checked.
pub struct FrameSchema {
    validator: Result<jsonschema::Validator, Mutex<Option<String>>>,
    checked: Mutex<HashMap<String, u32>>,
}

impl FrameSchema {
    /// Reads the schema from the server at `base_url`.
    pub async fn fetch(http: &reqwest::Client, base_url: &str) -> FrameSchema {
        let url = format!("{}/api/schema/ws.json", base_url.trim_end_matches('/'));
        let validator = match http.get(&url).send().await {
            Ok(response) if response.status().is_success() => {
                match response.json::<Value>().await {
                    Ok(schema) => compile(&schema),
                    Err(e) => Err(format!("{url} is not JSON: {e}")),
                }
            }
            Ok(response) => Err(format!("{url} answered {}", response.status())),
            Err(e) => Err(format!("{url} could not be read: {e}")),
        };
        FrameSchema {
            validator: validator.map_err(|e| Mutex::new(Some(e))),
            checked: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(what is wrong)` when `text` is among the first frames of its kind and the schema
    /// refuses it (or, once, when there is no schema to check against).
    pub fn check(&self, text: &str) -> Option<String> {
        let validator = match &self.validator {
            Ok(validator) => validator,
            Err(missing) => return missing.lock().take(),
        };
        let kind = kind_of(text);
        {
            let mut checked = self.checked.lock();
            let count = checked.entry(kind.clone()).or_insert(0);
            if *count >= CHECKED_PER_KIND {
                return None;
            }
            *count += 1;
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(e) => return Some(format!("{kind} frame is not JSON: {e}")),
        };
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(3)
            .map(|e| format!("at {:?}: {e}", e.instance_path().to_string()))
            .collect();
        (!errors.is_empty()).then(|| {
            let mut head = text.to_string();
            head.truncate(300);
            format!(
                "{kind} frame refused by /api/schema/ws.json: {} — {head}",
                errors.join("; ")
            )
        })
    }
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": schema["$defs"],
        "$ref": "#/$defs/ServerMessage",
    });
    jsonschema::validator_for(&root).map_err(|e| format!("the WebSocket schema is invalid: {e}"))
}

/// `state`, `event:CardPlayed`, …: the frame's `type` (and `eventType`), read without parsing it.
fn kind_of(text: &str) -> String {
    let field = |name: &str| {
        let key = format!("\"{name}\":\"");
        let from = text.find(&key)? + key.len();
        let len = text[from..].find('"')?;
        Some(text[from..from + len].to_string())
    };
    match (field("type"), field("eventType")) {
        (Some(kind), Some(event)) if kind == "event" => format!("event:{event}"),
        (Some(kind), _) if kind == "update" => format!("update:{}", update_event_types(text)),
        (Some(kind), _) => kind,
        (None, _) => "unknown".into(),
    }
}

/// The event types of an `update` frame, in order, joined with `+` (each event is
/// `[id,"Type",…`): updates of each mix of events are checked.
fn update_event_types(text: &str) -> String {
    let events = text.find(r#""events":["#).map_or("", |at| &text[at + 10..]);
    let events = events.split(r#""patch":"#).next().unwrap_or_default();
    let mut types = Vec::new();
    let mut rest = events;
    while let Some(at) = rest.find('[') {
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Some(name) = rest[digits..].strip_prefix(",\"") else {
            continue;
        };
        if digits == 0 {
            continue;
        }
        if let Some(end) = name.find('"') {
            types.push(&name[..end]);
        }
    }
    types.join("+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_kind_is_its_type_and_event_type() {
        assert_eq!(kind_of(r#"{"type":"state","lastEventId":3}"#), "state");
        assert_eq!(
            kind_of(r#"{"type":"event","gameId":"g","eventId":1,"eventType":"GameCreated"}"#),
            "event:GameCreated"
        );
        assert_eq!(kind_of("[1]"), "unknown");
        let update = r#"{"type":"update","events":[[7,"CardPlayed",1,"t",{"upgrades":["red"]}],[8,"TurnEnded",1,null,{"seat":0}]],"patch":{"players":{"0":{"hand":["S01"]}}}}"#;
        assert_eq!(kind_of(update), "update:CardPlayed+TurnEnded");
    }

    #[test]
    fn the_first_frames_of_a_kind_are_checked_and_later_ones_are_not() {
        let schema = json!({"$defs": {"ServerMessage": {
            "type": "object", "required": ["type"],
            "properties": {"type": {"enum": ["pong"]}}
        }}});
        let frames = FrameSchema {
            validator: compile(&schema).map_err(|e| Mutex::new(Some(e))),
            checked: Mutex::new(HashMap::new()),
        };
        assert_eq!(frames.check(r#"{"type":"pong"}"#), None);
        for _ in 0..CHECKED_PER_KIND {
            assert!(frames.check(r#"{"type":"state"}"#).is_some());
        }
        assert_eq!(frames.check(r#"{"type":"state"}"#), None, "checked enough");
    }
}
