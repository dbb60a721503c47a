//! The published contract, held against what the server really sends: every WebSocket frame a
//! test client receives must match `$defs/ServerMessage` of `/api/schema/ws.json`, and REST
//! answers can be checked against their schema in `/api/openapi.json`.

use std::sync::OnceLock;

use serde_json::{json, Value};

/// A validator for one definition of a schema document whose definitions are in `defs`.
pub fn validator(defs: &Value, reference: &str) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
        "$ref": reference,
    });
    jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("{reference} is not a valid JSON Schema: {e}"))
}

/// The errors of `instance` against `validator`, one line each (empty when it matches).
pub fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("at {:?}: {e}", e.instance_path().to_string()))
        .collect()
}

/// The WebSocket schema's validator for `$defs/<name>`.
pub fn ws_validator(name: &str) -> jsonschema::Validator {
    let schema = caravan::adapters::inbound::http::openapi::ws_schema();
    validator(&schema["$defs"], &format!("#/$defs/{name}"))
}

/// Fails unless `message` is a `ServerMessage` of the WebSocket schema.
pub fn assert_server_message(message: &Value) {
    static SERVER: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = SERVER.get_or_init(|| ws_validator("ServerMessage"));
    let found = errors(validator, message);
    assert!(
        found.is_empty(),
        "a frame that /api/schema/ws.json refuses:\n{message}\n{}",
        found.join("\n")
    );
}

/// Fails unless `body` matches the schema of the answer `status` of `method path` in the
/// OpenAPI document `document` (`path` as the document spells it, e.g. `/api/games/{gameId}`).
pub fn assert_answer(document: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let answer = &document["paths"][path][method]["responses"][status.to_string()];
    assert!(
        answer.is_object(),
        "{method} {path} does not declare the status {status}"
    );
    let schema = &answer["content"]["application/json"]["schema"];
    let defs = document["components"]["schemas"].clone();
    let schema = rebase(schema.clone());
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": rebase(defs),
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("the schema of {method} {path} {status} is invalid: {e}"));
    let found = errors(&validator, body);
    assert!(
        found.is_empty(),
        "{method} {path} answered {status} with a body its schema refuses:\n{body}\n{}",
        found.join("\n")
    );
}

/// References from `#/components/schemas/` moved to `#/$defs/`.
fn rebase(value: Value) -> Value {
    match value {
        Value::String(text) => match text.strip_prefix("#/components/schemas/") {
            Some(rest) => Value::String(format!("#/$defs/{rest}")),
            None => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(rebase).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, rebase(v))).collect()),
        other => other,
    }
}
