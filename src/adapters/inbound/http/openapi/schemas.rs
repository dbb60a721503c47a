//! The JSON Schemas of every body and message, generated from the types that serde reads and
//! writes (`utoipa::ToSchema` derives), then tightened where serde's shape says more than the
//! derive does:
//! - `Command` lists the player's commands only (the server-only kinds are refused with
//!   `command_not_allowed`), each closed to unknown fields;
//! - `EventDto` is one schema per event type: `eventType` names it and `data` has that event's
//!   fields.
//!
//! References point at `#/components/schemas/NAME`; the WebSocket schema moves them to `$defs`.

use serde_json::{json, Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::adapters::inbound::http::dashboards::{
    LeaderboardResponse, RebuildResponse, ResultsResponse,
};
use crate::adapters::inbound::http::games::{
    BotRequest, BotResponse, CommandRequest, CommandResponse, CreateGameRequest, EventsResponse,
    JoinRequest, JoinResponse, NEW_GAME_BOUNDS,
};
use crate::adapters::inbound::player_command::SERVER_ONLY;
use crate::adapters::inbound::websocket::protocol::{compact, ClientFrame, ServerMessage};
use crate::adapters::inbound::wire::{ErrorDto, EventDto};
use crate::application::summaries::GameSummary;
use crate::application::{GamePage, ServerStats, ViewAt};
use crate::domain::cards::Catalogue;
use crate::domain::events::Event;

type Collected = Vec<(String, RefOr<Schema>)>;

fn add<T: ToSchema>(schemas: &mut Collected) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// The bounds of a new game's numbers, from the rules the server checks them against (the derive
/// takes only literals).
fn new_game_bounds(create: &mut Value) {
    for (field, min, max) in NEW_GAME_BOUNDS {
        if let Some(Value::Object(property)) = create["properties"].get_mut(field) {
            property.insert("minimum".into(), json!(min));
            property.insert("maximum".into(), json!(max));
        }
    }
}

/// Every named schema of the protocol, by name.
pub fn components() -> Map<String, Value> {
    let mut collected = Collected::new();
    add::<CreateGameRequest>(&mut collected);
    add::<BotRequest>(&mut collected);
    add::<BotResponse>(&mut collected);
    add::<JoinRequest>(&mut collected);
    add::<JoinResponse>(&mut collected);
    add::<CommandRequest>(&mut collected);
    add::<CommandResponse>(&mut collected);
    add::<EventsResponse>(&mut collected);
    add::<EventDto>(&mut collected);
    add::<ErrorDto>(&mut collected);
    add::<GameSummary>(&mut collected);
    add::<GamePage>(&mut collected);
    add::<ViewAt>(&mut collected);
    add::<ServerStats>(&mut collected);
    add::<Catalogue>(&mut collected);
    add::<LeaderboardResponse>(&mut collected);
    add::<ResultsResponse>(&mut collected);
    add::<RebuildResponse>(&mut collected);
    add::<Event>(&mut collected);
    add::<ClientFrame>(&mut collected);
    add::<ServerMessage<'static>>(&mut collected);
    let mut schemas = Map::new();
    for (name, schema) in collected {
        // Serialising a schema cannot fail (string keys only).
        let value = serde_json::to_value(schema).unwrap_or(Value::Null);
        schemas.insert(name, value);
    }
    schemas.insert("ErrorResponse".into(), error_response());
    if let Some(create) = schemas.get_mut("CreateGameRequest") {
        new_game_bounds(create);
    }
    if let Some(command) = schemas.get_mut("Command") {
        player_commands_only(command);
    }
    if let Some(client) = schemas.get_mut("ClientFrame") {
        close_variants(client);
    }
    if let Some(event) = schemas.get("Event").cloned() {
        schemas.insert("EventDto".into(), events_by_type(&event));
        schemas.insert("UpdateEvent".into(), update_events_by_type(&event));
        schemas.insert(
            "CompactUpdateEvent".into(),
            compact_update_events_by_type(&event, false),
        );
        schemas.insert(
            "PackedUpdateEvent".into(),
            compact_update_events_by_type(&event, true),
        );
    }
    if let Some(view) = schemas.get("GameView").cloned() {
        schemas.insert("ViewPatch".into(), view_patch(&view, false));
        schemas.insert("PackedViewPatch".into(), view_patch(&view, true));
    }
    if let (Some(hints), Some(playable)) = (
        schemas.get("LegalHints").cloned(),
        schemas.get("PlayableHint").cloned(),
    ) {
        schemas.insert("PackedLegalHints".into(), packed_legal(&hints, &playable));
    }
    schemas.insert("PackedUpdate".into(), packed_update());
    if let Some(server) = schemas.get_mut("ServerMessage") {
        describe_update(server);
        if let Some(list) = variants(server) {
            list.push(json!({"$ref": "#/components/schemas/PackedUpdate"}));
        }
    }
    schemas
}

/// `{"error":{"code","message","fields"?}}`.
fn error_response() -> Value {
    json!({
        "type": "object",
        "description": "Every error answer. `code` is stable and machine-readable; `message` is for people.",
        "required": ["error"],
        "additionalProperties": false,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": false,
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z_]+$"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "invalid_request only: the message of each field out of bounds.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }
        }
    })
}

/// The `type` a variant of an internally tagged enum stands for.
fn variant_tag(variant: &Value, tag: &str) -> Option<String> {
    let tag = variant.get("properties")?.get(tag)?;
    tag.get("const")
        .or_else(|| tag.get("enum").and_then(|e| e.get(0)))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn variants(schema: &mut Value) -> Option<&mut Vec<Value>> {
    schema.get_mut("oneOf").and_then(Value::as_array_mut)
}

/// Drops the commands only the server sends and closes the rest to unknown fields.
fn player_commands_only(command: &mut Value) {
    if let Some(list) = variants(command) {
        list.retain(|v| variant_tag(v, "type").is_none_or(|t| !SERVER_ONLY.contains(&t.as_str())));
    }
    close_variants(command);
    if let Some(map) = command.as_object_mut() {
        map.insert(
            "description".into(),
            json!("A player's command. Unknown fields are refused (invalid_command)."),
        );
    }
}

/// Every variant object refuses fields it does not name.
fn close_variants(schema: &mut Value) {
    if let Some(list) = variants(schema) {
        for variant in list {
            if let Some(map) = variant.as_object_mut() {
                if map.contains_key("properties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
            }
        }
    }
}

/// Each event type's name and the schema of its `data` (closed: no other fields), from the
/// adjacently tagged `Event`.
fn event_data(event: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for variant in event
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(data)) = (
            variant_tag(variant, "type"),
            variant.get("properties").and_then(|p| p.get("data")),
        ) else {
            continue;
        };
        let mut data = data.clone();
        if let Some(map) = data.as_object_mut() {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
        found.push((name, data));
    }
    found
}

/// One schema per event type: `{"gameId","eventId","eventType":X,"schemaVersion","timestamp",
/// "data":{X's fields}}`, from the adjacently tagged `Event`.
fn events_by_type(event: &Value) -> Value {
    let mut by_type = Vec::new();
    for (name, data) in event_data(event) {
        by_type.push(json!({
            "type": "object",
            "title": name,
            "required": ["gameId", "eventId", "eventType", "schemaVersion", "timestamp", "data"],
            "properties": {
                "gameId": {"type": "string"},
                "eventId": {"type": "integer", "minimum": 1, "description": "Position in the game's log, from 1, without gaps."},
                "eventType": {"const": name},
                "schemaVersion": {"type": "integer", "minimum": 1},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": data
            }
        }));
    }
    json!({
        "description": "One committed event, public form (REST and the WebSocket `event` message).",
        "oneOf": by_type
    })
}

/// One event of an `update` frame, per event type: `[eventId, eventType, schemaVersion,
/// timestamp, data]`.
fn update_events_by_type(event: &Value) -> Value {
    let mut by_type = Vec::new();
    for (name, data) in event_data(event) {
        by_type.push(update_event(&name, data, false));
    }
    json!({
        "description": "One event of an `update` frame: `[eventId, eventType, schemaVersion, timestamp, data]`, the fields of the event's `event` frame in that order (the timestamp null when it is the one of the event before it in the same update).",
        "oneOf": by_type
    })
}

/// The `patch` of an `update` frame: members of the view (`GameView`), each either a whole new
/// value or, for the arrays of objects, an object of the elements that changed by index; in
/// protocol 4 (`packed`), `legal` as `PackedLegalHints`.
fn view_patch(view: &Value, packed: bool) -> Value {
    let mut properties = Map::new();
    for (name, schema) in view
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let patched = if matches!(name.as_str(), "players" | "merchantRow" | "pointRow") {
            json!({"anyOf": [
                schema,
                {
                    "type": "object",
                    "description": "The elements that changed, by index (the array keeps its length), each merged into the element.",
                    "patternProperties": {"^(0|[1-9][0-9]*)$": {"type": "object"}},
                    "additionalProperties": false
                }
            ]})
        } else if packed && name == "legal" {
            json!({"anyOf": [
                {"type": "null"},
                {"$ref": "#/components/schemas/PackedLegalHints"}
            ]})
        } else {
            schema.clone()
        };
        properties.insert(name.clone(), patched);
    }
    let description = if packed {
        "What changed in the connection's state, as `ViewPatch`, with the `legal` hints as `PackedLegalHints` (docs/protocol.md, \"Protocol 4: packed updates\")."
    } else {
        "What changed in the connection's state (a view, as `GameView`): merged into it member by member (docs/protocol.md, \"Protocol 2: updates\")."
    };
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false
    })
}

/// Protocol 4's `legal` hints: `[playable, acquirable, claimable, canRest, discardOwed]`, each
/// playable card `[cardId, kind, maxTimes, upgradeSteps]`, every value as in `LegalHints`.
fn packed_legal(hints: &Value, playable: &Value) -> Value {
    let member = |schema: &Value, name: &str| {
        let mut value = schema
            .get("properties")
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or(json!({}));
        if let Some(map) = value.as_object_mut() {
            map.insert("description".into(), json!(name));
        }
        value
    };
    let card = json!({
        "type": "array",
        "description": "[cardId, kind, maxTimes, upgradeSteps]",
        "minItems": 4,
        "prefixItems": [
            member(playable, "cardId"),
            member(playable, "kind"),
            member(playable, "maxTimes"),
            member(playable, "upgradeSteps")
        ],
        "items": false
    });
    json!({
        "type": "array",
        "description": "A seat's `legal` hints in protocol 4: the values of `LegalHints` in the order playable, acquirable, claimable, canRest, discardOwed; each playable card as [cardId, kind, maxTimes, upgradeSteps].",
        "minItems": 5,
        "prefixItems": [
            {"type": "array", "description": "playable", "items": card},
            member(hints, "acquirable"),
            member(hints, "claimable"),
            member(hints, "canRest"),
            member(hints, "discardOwed")
        ],
        "items": false
    })
}

/// Protocol 4's `update` frame: `[events, patch]`.
fn packed_update() -> Value {
    json!({
        "type": "array",
        "title": "update (protocol 4)",
        "description": "Protocol 4's `update` frame, the only frame sent as an array: `[events, patch]`, as the `update` message's members (docs/protocol.md, \"Protocol 4: packed updates\").",
        "minItems": 2,
        "prefixItems": [
            {
                "type": "array",
                "minItems": 1,
                "description": "events: the new events, in eventId order, continuing the connection's stream without a gap",
                "items": {"$ref": "#/components/schemas/PackedUpdateEvent"}
            },
            {"$ref": "#/components/schemas/PackedViewPatch"}
        ],
        "items": false
    })
}

/// `[eventId, eventType, schemaVersion, timestamp, data]` of the event type `name`, with `data`
/// as the schema of its data; the timestamp in milliseconds since the epoch when `packed`
/// (protocol 4), else as text.
fn update_event(name: &str, data: Value, packed: bool) -> Value {
    let timestamp = if packed {
        json!({"type": ["integer", "null"], "description": "timestamp in milliseconds since the Unix epoch; null when it is the one of the event before it in the same update"})
    } else {
        json!({"type": ["string", "null"], "format": "date-time", "description": "timestamp; null when it is the one of the event before it in the same update"})
    };
    json!({
        "type": "array",
        "title": name,
        "minItems": 5,
        "prefixItems": [
            {"type": "integer", "minimum": 1, "description": "eventId"},
            {"const": name, "description": "eventType"},
            {"type": "integer", "minimum": 1, "description": "schemaVersion"},
            timestamp,
            data
        ],
        "items": false
    })
}

/// One event of a protocol 3 `update` frame, per event type: `[eventId, eventType, schemaVersion,
/// timestamp, [its data's values in order]]`, each spice map as `[yellow, red, green, brown]`;
/// of protocol 4 (`packed`), the same with the timestamp in milliseconds.
fn compact_update_events_by_type(event: &Value, packed: bool) -> Value {
    let mut by_type = Vec::new();
    for (name, data) in event_data(event) {
        let Some(members) = compact::members(&name) else {
            continue;
        };
        let required: Vec<&str> = data
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let values: Vec<Value> = members
            .iter()
            .map(|member| {
                let mut schema = data
                    .get("properties")
                    .and_then(|p| p.get(*member))
                    .cloned()
                    .unwrap_or(json!({}));
                compact_spices(&mut schema);
                if let Some(map) = schema.as_object_mut() {
                    map.insert("description".into(), json!(member));
                }
                if required.contains(member) {
                    schema
                } else {
                    json!({"description": member, "anyOf": [{"type": "null"}, schema]})
                }
            })
            .collect();
        let data = json!({
            "type": "array",
            "description": format!("data: the values of {}, in that order", members.join(", ")),
            "minItems": members.len(),
            "prefixItems": values,
            "items": false
        });
        by_type.push(update_event(&name, data, packed));
    }
    let description = if packed {
        "One event of a protocol 4 `update` frame: as `CompactUpdateEvent`, with the timestamp in milliseconds since the Unix epoch."
    } else {
        "One event of a protocol 3 `update` frame: `[eventId, eventType, schemaVersion, timestamp, data]` as in protocol 2, with `data` the array of the values of the event's data members in a fixed order per type (absent ones null) and each spice map as `[yellow, red, green, brown]`."
    };
    json!({
        "description": description,
        "oneOf": by_type
    })
}

/// Replaces every reference to the spice map in `schema` by protocol 3's array of four counts.
fn compact_spices(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let spices = map
                .get("$ref")
                .and_then(Value::as_str)
                .is_some_and(|r| r.ends_with("/Spices"));
            if spices {
                *schema = json!({
                    "type": "array",
                    "description": "[yellow, red, green, brown]",
                    "prefixItems": [
                        {"type": "integer", "minimum": 0},
                        {"type": "integer", "minimum": 0},
                        {"type": "integer", "minimum": 0},
                        {"type": "integer", "minimum": 0}
                    ],
                    "minItems": 4,
                    "items": false
                });
                return;
            }
            map.values_mut().for_each(compact_spices);
        }
        Value::Array(items) => items.iter_mut().for_each(compact_spices),
        _ => {}
    }
}

/// The `update` message's events and patch, by their own schemas.
fn describe_update(server: &mut Value) {
    let Some(list) = variants(server) else {
        return;
    };
    for variant in list {
        if variant_tag(variant, "type").as_deref() != Some("update") {
            continue;
        }
        if let Some(properties) = variant.get_mut("properties").and_then(Value::as_object_mut) {
            properties.insert(
                "events".into(),
                json!({
                    "type": "array",
                    "minItems": 1,
                    "description": "The new events, in eventId order, continuing the connection's stream without a gap: `UpdateEvent`s in protocol 2, `CompactUpdateEvent`s in protocol 3.",
                    "items": {"anyOf": [
                        {"$ref": "#/components/schemas/UpdateEvent"},
                        {"$ref": "#/components/schemas/CompactUpdateEvent"}
                    ]}
                }),
            );
            properties.insert(
                "patch".into(),
                json!({"$ref": "#/components/schemas/ViewPatch"}),
            );
        }
    }
}
