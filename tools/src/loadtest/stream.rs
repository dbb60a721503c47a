//! Reading the server's WebSocket frames, and checking that a delivered stream has every event id in
//! order, once, with the `state`, `update` and `caughtUp` markers in step. An `update` frame's
//! patch is never built into a value: the generator rebuilds each game from its events.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use caravan::adapters::inbound::websocket::protocol::compact::read_event;
use caravan::domain::Event;

use super::stats::Violation;

/// A server frame, reduced to what the load generator needs (the `state` objects are skipped unread).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `welcome`: the state at `last_event_id`, live events follow.
    Welcome {
        /// The version of the state sent.
        last_event_id: u64,
    },
    /// `caughtUp`: the missed events up to `last_event_id` have been sent.
    CaughtUp {
        /// The last missed event.
        last_event_id: u64,
    },
    /// `event`: one public event.
    Event {
        /// The game it belongs to.
        game_id: Option<String>,
        /// Its id.
        event_id: u64,
        /// The event itself, read back into the domain's type.
        event: Box<Event>,
    },
    /// `update` (protocols 2 to 4): a commit's events; the state is at the last one's id after them (its
    /// patch is not applied: the generator rebuilds the game from the events).
    Update {
        /// The version the patched state is at (the last event's id).
        last_event_id: u64,
        /// The events, in the order sent: (id, event).
        events: Vec<(u64, Event)>,
        /// The bytes of the frame's `patch`, its `legal` member included.
        patch_bytes: usize,
        /// The bytes of the patch's `legal` member (`"legal":…`) when it holds hints, else 0.
        legal_bytes: usize,
    },
    /// `state`: the state after `last_event_id` (sent after each command's events).
    State {
        /// The version of the state.
        last_event_id: u64,
    },
    /// `commandResult`.
    CommandResult {
        /// The request it answers.
        request_id: String,
        /// The error code when refused.
        error: Option<String>,
        /// The events it produced.
        event_ids: Vec<u64>,
    },
    /// `error`: a message the server could not accept.
    Error {
        /// Its code.
        code: String,
    },
    /// `pong`.
    Pong,
    /// A frame type this generator does not know.
    Other(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFrame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    game_id: Option<Cow<'a, str>>,
    #[serde(default)]
    event_id: Option<u64>,
    #[serde(default, borrow)]
    event_type: Option<Cow<'a, str>>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    last_event_id: Option<u64>,
    #[serde(default, borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(default)]
    ok: Option<bool>,
    #[serde(default)]
    event_ids: Option<Vec<u64>>,
    #[serde(default)]
    error: Option<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: String,
}

/// How the server starts a `state` frame.
const STATE_HEAD: &str = r#"{"type":"state","lastEventId":"#;

/// The `lastEventId` of a `state` frame written in the server's usual field order, read without
/// parsing the state itself (a few KiB the load generator has no use for); `None` for any other
/// text, which then goes through the full parser.
fn state_fast_path(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(STATE_HEAD)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !rest[digits..].starts_with([',', '}']) {
        return None;
    }
    rest[..digits].parse().ok()
}

/// How the server starts an `event` frame.
const EVENT_HEAD: &str = r#"{"type":"event","#;

/// An `event` frame's fields, its data kept as the raw JSON text (skipped, not parsed, here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventFrame<'a> {
    #[serde(default, borrow)]
    game_id: Option<Cow<'a, str>>,
    event_id: u64,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// An `event` frame read in one pass, its data straight into the domain's event (no
/// `serde_json::Value`, no re-assembled text in between: event frames are most of what the
/// generator reads). `None` for any other text, which then goes through the full parser.
fn event_fast_path(text: &str) -> Option<Frame> {
    if !text.starts_with(EVENT_HEAD) {
        return None;
    }
    let frame: EventFrame<'_> = serde_json::from_str(text).ok()?;
    let event = read_event(&frame.event_type, frame.data.get()).ok()?;
    Some(Frame::Event {
        game_id: frame.game_id.map(Cow::into_owned),
        event_id: frame.event_id,
        event: Box::new(event),
    })
}

/// How the server starts an `update` frame.
const UPDATE_HEAD: &str = r#"{"type":"update","#;

/// An `update` frame's fields: each event's timestamp and data, and the patch, kept as raw JSON
/// text (scanned, not built into values).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateFrame<'a> {
    #[serde(borrow)]
    events: Vec<UpdateEvent<'a>>,
    #[serde(borrow)]
    patch: &'a RawValue,
}

/// `[eventId, eventType, schemaVersion, timestamp (or null), data]`, the data an object
/// (protocol 2) or the array of its values (3 and 4): `read_event` reads either.
type UpdateEvent<'a> = (u64, Cow<'a, str>, u16, &'a RawValue, &'a RawValue);

/// Protocol 4's `update` frame: `[events, patch]`.
type PackedUpdateFrame<'a> = (Vec<UpdateEvent<'a>>, &'a RawValue);

/// An `update` frame (the object, or protocol 4's array): its version and its events, read into
/// the domain's events.
fn parse_update(text: &str) -> Result<Frame, String> {
    let frame: UpdateFrame<'_> = if text.starts_with('[') {
        let (events, patch): PackedUpdateFrame<'_> =
            serde_json::from_str(text).map_err(|e| format!("not an update frame: {e}"))?;
        if !patch.get().starts_with('{') {
            return Err(format!("an update's patch is an object: {}", patch.get()));
        }
        UpdateFrame { events, patch }
    } else {
        serde_json::from_str(text).map_err(|e| format!("not an update frame: {e}"))?
    };
    let last_event_id = frame
        .events
        .last()
        .map(|e| e.0)
        .ok_or("an update frame without events")?;
    let mut events = Vec::with_capacity(frame.events.len());
    for (event_id, event_type, _, _, data) in frame.events {
        let event = read_event(&event_type, data.get())
            .map_err(|e| format!("event {event_id} ({event_type}) unreadable: {e}"))?;
        events.push((event_id, event));
    }
    Ok(Frame::Update {
        last_event_id,
        events,
        patch_bytes: frame.patch.get().len(),
        legal_bytes: legal_bytes(frame.patch),
    })
}

/// The bytes of a patch's top-level `"legal":{…}` member; 0 when it has none or it is `null`
/// (only the patch's own members are read, each kept as raw text).
fn legal_bytes(patch: &RawValue) -> usize {
    let members: Vec<(Cow<'_, str>, &RawValue)> =
        match serde_json::from_str::<OrderedMembers<'_>>(patch.get()) {
            Ok(OrderedMembers(members)) => members,
            Err(_) => return 0,
        };
    members
        .iter()
        .find(|(key, value)| key == "legal" && value.get() != "null")
        .map_or(0, |(_, value)| r#""legal":"#.len() + value.get().len())
}

/// A JSON object's members as raw text, in order.
struct OrderedMembers<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for OrderedMembers<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedMembers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(OrderedMembers(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Reads one text frame. An error names what is wrong with it.
pub fn parse_frame(text: &str) -> Result<Frame, String> {
    // Protocol 4's update is the only frame that is an array.
    if text.starts_with(UPDATE_HEAD) || text.starts_with('[') {
        return parse_update(text);
    }
    if let Some(last_event_id) = state_fast_path(text) {
        return Ok(Frame::State { last_event_id });
    }
    if let Some(frame) = event_fast_path(text) {
        return Ok(frame);
    }
    let raw: RawFrame<'_> =
        serde_json::from_str(text).map_err(|e| format!("not a protocol frame: {e}"))?;
    let need = |field: Option<u64>, name: &str| {
        field.ok_or_else(|| format!("{} frame without {name}", raw.kind))
    };
    Ok(match raw.kind.as_ref() {
        "welcome" => Frame::Welcome {
            last_event_id: need(raw.last_event_id, "lastEventId")?,
        },
        "caughtUp" => Frame::CaughtUp {
            last_event_id: need(raw.last_event_id, "lastEventId")?,
        },
        "state" => Frame::State {
            last_event_id: need(raw.last_event_id, "lastEventId")?,
        },
        "event" => {
            let event_id = need(raw.event_id, "eventId")?;
            let event_type = raw
                .event_type
                .ok_or_else(|| format!("event {event_id} without eventType"))?;
            let mut object = serde_json::Map::with_capacity(2);
            object.insert("type".into(), event_type.as_ref().into());
            object.insert("data".into(), raw.data.unwrap_or(serde_json::Value::Null));
            let event: Event = serde_json::from_value(serde_json::Value::Object(object))
                .map_err(|e| format!("event {event_id} ({event_type}) unreadable: {e}"))?;
            Frame::Event {
                game_id: raw.game_id.map(Cow::into_owned),
                event_id,
                event: Box::new(event),
            }
        }
        "commandResult" => {
            let ok = raw.ok.unwrap_or(false);
            Frame::CommandResult {
                request_id: raw.request_id.map(Cow::into_owned).unwrap_or_default(),
                error: if ok {
                    None
                } else {
                    Some(
                        raw.error
                            .map(|e| e.code)
                            .filter(|c| !c.is_empty())
                            .unwrap_or_else(|| "unknown".into()),
                    )
                },
                event_ids: raw.event_ids.unwrap_or_default(),
            }
        }
        "error" => Frame::Error {
            code: raw
                .error
                .map(|e| e.code)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "unknown".into()),
        },
        "pong" => Frame::Pong,
        "update" => parse_update(text)?,
        other => Frame::Other(other.to_string()),
    })
}

/// Follows one connection's event ids: each must be the previous one plus one, and every `state` /
/// `caughtUp` must name the last event delivered.
#[derive(Debug, Clone)]
pub struct StreamChecker {
    /// Who is checked, for the messages.
    label: String,
    /// The last event id delivered (or the `lastEventId` the connection started from).
    last: u64,
}

impl StreamChecker {
    /// A checker for a stream that continues after event `after`.
    pub fn new(label: impl Into<String>, after: u64) -> Self {
        StreamChecker {
            label: label.into(),
            last: after,
        }
    }

    /// The last event id delivered.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Starts over after `after` (a welcome sets the starting point).
    pub fn reset(&mut self, after: u64) {
        self.last = after;
    }

    /// An `update` arrived: its events, then its version as a marker.
    pub fn update(
        &mut self,
        events: impl IntoIterator<Item = u64>,
        last_event_id: u64,
    ) -> Result<(), Violation> {
        for event_id in events {
            self.event(event_id)?;
        }
        self.marker("update", last_event_id)
    }

    /// An event arrived.
    pub fn event(&mut self, event_id: u64) -> Result<(), Violation> {
        let expected = self.last + 1;
        if event_id == expected {
            self.last = event_id;
            return Ok(());
        }
        let (kind, what) = if event_id > expected {
            ("gap", "skipped to")
        } else {
            ("repeat", "went back to")
        };
        let violation = Violation {
            kind,
            detail: format!(
                "{}: expected event {expected}, {what} {event_id}",
                self.label
            ),
        };
        // Follow the server from here so one fault is reported once.
        self.last = self.last.max(event_id);
        Err(violation)
    }

    /// A `state` or `caughtUp` marker arrived.
    pub fn marker(&mut self, what: &str, last_event_id: u64) -> Result<(), Violation> {
        if last_event_id == self.last {
            return Ok(());
        }
        let kind = if last_event_id > self.last {
            "state_ahead"
        } else {
            "state_behind"
        };
        Err(Violation {
            kind,
            detail: format!(
                "{}: {what} at lastEventId {last_event_id} after event {}",
                self.label, self.last
            ),
        })
    }
}

#[cfg(test)]
mod tests;
