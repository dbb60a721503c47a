//! The contract in machine-readable form, generated from the types the server reads and writes:
//! - `GET /api/openapi.json`: OpenAPI 3.1 for every REST route ([`document`]);
//! - `GET /api/docs`: a page that renders it, embedded in the binary like the browser client
//!   (`super::assets`; no network needed);
//! - `GET /api/schema/ws.json`: JSON Schema 2020-12 for every WebSocket message in both
//!   directions and every event's `data` ([`ws_schema`]).
//!
//! Both documents are built once, at the first request, and served as the same bytes after.

pub mod paths;
pub mod schemas;

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

/// Registers `/api/openapi.json` and `/api/schema/ws.json` (the page `/api/docs` is one of the
/// embedded assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi_json)))
        .service(web::resource("/api/schema/ws.json").route(web::get().to(ws_schema_json)));
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "caravan",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST API of the caravan game server (Century: Spice Road). Live play is over the WebSocket `GET /ws?gameId=G&token=T&lastEventId=N`, whose messages are described by `/api/schema/ws.json`. The prose contract is docs/protocol.md. Every error answers `{\"error\":{\"code\",\"message\"}}`; a path asked with a method it does not list answers `405 method_not_allowed` with `Allow`, an unknown path `404 not_found`.",
            "license": { "name": "MIT", "identifier": "MIT" }
        },
        "tags": [
            { "name": "games", "description": "Create, join and play games; read their logs." },
            { "name": "dashboards", "description": "Read models and the card catalogue." },
            { "name": "operations", "description": "Health, readiness, metrics, admin." }
        ],
        "paths": paths::paths(),
        "components": { "schemas": schemas::components() }
    })
}

/// The JSON Schema (2020-12) of the WebSocket messages: `$defs/ClientMessage` is what a client
/// may send, `$defs/ServerMessage` what the server sends, `$defs/EventDto` an event (one schema
/// per `eventType`, with its `data`); the document itself accepts either kind of message.
pub fn ws_schema() -> Value {
    let mut defs = Map::new();
    for (name, schema) in schemas::components() {
        defs.insert(name, to_defs(schema));
    }
    if let Some(client) = defs.remove("ClientFrame") {
        defs.insert("ClientMessage".into(), client);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "caravan WebSocket messages",
        "description": "One JSON message per text frame. ClientMessage: client → server; ServerMessage: server → client.",
        "oneOf": [
            { "$ref": "#/$defs/ClientMessage" },
            { "$ref": "#/$defs/ServerMessage" }
        ],
        "$defs": defs
    })
}

/// The same schema with its references moved from `#/components/schemas/` to `#/$defs/`.
fn to_defs(value: Value) -> Value {
    match value {
        Value::String(text) => match text.strip_prefix("#/components/schemas/") {
            Some(rest) => Value::String(format!("#/$defs/{rest}")),
            None => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(to_defs).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, to_defs(v))).collect())
        }
        other => other,
    }
}

fn cached(cell: &'static OnceLock<String>, build: fn() -> Value) -> &'static str {
    cell.get_or_init(|| build().to_string())
}

async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    HttpResponse::Ok()
        .content_type("application/json")
        .body(cached(&DOCUMENT, document))
}

async fn ws_schema_json() -> HttpResponse {
    static SCHEMA: OnceLock<String> = OnceLock::new();
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(cached(&SCHEMA, ws_schema))
}
