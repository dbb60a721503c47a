//! Event frames, written directly: each event of protocol 1 as its own frame, and the events of
//! a protocol 2 update.

use serde::Serialize;
use serde_json::Value;

use super::{internal_error, ServerMessage};
use crate::adapters::inbound::wire::EventDto;
use crate::application::ports::StoredEvent;

/// The `event` frame of a stored (public) event: the same JSON as
/// `ServerMessage::Event(EventDto::from(event)).to_frame()`, written straight from the event instead
/// of through a `serde_json::Value`. Events are the most frequent frames, and building and
/// re-serialising a `Value` map for each was a large share of the server's time under load.
pub fn event_frame(stored: &StoredEvent) -> String {
    let public = stored.event.public();
    let event_type = public.event_type();
    let data = match event_data(&public) {
        Ok(Some(data)) => data,
        // Another shape (should the domain's encoding change): the general path is right.
        Ok(None) => return ServerMessage::Event(EventDto::from(stored)).to_frame(),
        Err(e) => return internal_error(&e),
    };
    let mut out = Vec::with_capacity(data.len() + 160);
    let head = serde_json::to_writer(
        &mut out,
        &EventHead {
            kind: "event",
            game_id: &stored.game_id,
            event_id: stored.event_id,
            event_type,
            schema_version: public.schema_version(),
            timestamp: stored.timestamp,
        },
    );
    if let Err(e) = head {
        return internal_error(&e);
    }
    // Replace the head's closing brace with the data field.
    out.pop();
    out.extend_from_slice(br#","data":"#);
    out.extend_from_slice(data.as_bytes());
    out.push(b'}');
    String::from_utf8(out).unwrap_or_else(|e| internal_error(&e))
}

/// The JSON text of an event's `data`: the domain writes an event as
/// `{"type":"<EventType>","data":{…}}`, of which this keeps the data part (`None` should that
/// shape ever change).
fn event_data(public: &crate::domain::Event) -> Result<Option<String>, serde_json::Error> {
    let full = serde_json::to_string(public)?;
    let prefix = format!(r#"{{"type":"{}","data":"#, public.event_type());
    Ok(full
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix('}'))
        .map(str::to_string))
}

/// One event of an `update` frame: `[eventId,"eventType",schemaVersion,"timestamp",data]`, with
/// the data as in the event's `event` frame (protocol 2) or as the array of its values
/// (protocols 3 and 4, [`super::compact`]), the timestamp as the `event` frame's text or (4) as
/// milliseconds since the epoch, and `null` for the timestamp when it is `previous`'s (the
/// timestamp of the event before it in the same frame: the events of one commit share one).
pub fn write_update_event(
    out: &mut Vec<u8>,
    stored: &StoredEvent,
    previous: Option<&chrono::DateTime<chrono::Utc>>,
    protocol: super::Protocol,
) {
    let public = stored.event.public();
    let event_type = public.event_type();
    out.push(b'[');
    out.extend_from_slice(itoa::Buffer::new().format(stored.event_id).as_bytes());
    out.extend_from_slice(b",\"");
    out.extend_from_slice(event_type.as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(public.schema_version())
            .as_bytes(),
    );
    out.push(b',');
    if previous == Some(&stored.timestamp) {
        out.extend_from_slice(b"null");
    } else if protocol.packed() {
        out.extend_from_slice(
            itoa::Buffer::new()
                .format(stored.timestamp.timestamp_millis())
                .as_bytes(),
        );
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &stored.timestamp);
    }
    out.push(b',');
    if protocol.compact_events() {
        super::compact::write_compact_data(out, &public);
        out.push(b']');
        return;
    }
    match event_data(&public) {
        Ok(Some(data)) => out.extend_from_slice(data.as_bytes()),
        // Another shape of the domain's encoding: its data member, read back.
        _ => {
            let data = serde_json::to_value(&*public)
                .ok()
                .and_then(|mut tagged| tagged.get_mut("data").map(Value::take))
                .unwrap_or(Value::Null);
            let _ = serde_json::to_writer(&mut *out, &data);
        }
    }
    out.push(b']');
}

/// The fields of an `event` frame before its data, in [`EventDto`]'s order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventHead<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    game_id: &'a str,
    event_id: u64,
    event_type: &'static str,
    schema_version: u16,
    timestamp: chrono::DateTime<chrono::Utc>,
}
