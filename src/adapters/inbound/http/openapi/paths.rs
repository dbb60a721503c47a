//! The REST routes of the OpenAPI document: for each, its parameters, the body it reads (a schema
//! generated from the request type), every status it can answer and the schema of each answer.
//! The links say how the answers feed the next requests (create → join → command), for clients
//! and for tools that test the routes as a sequence.

use serde_json::{json, Value};

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn answer(description: &str, body: Option<&str>) -> Value {
    match body {
        Some(name) => json!({
            "description": description,
            "content": { "application/json": { "schema": schema(name) } }
        }),
        None => json!({ "description": description }),
    }
}

fn error(codes: &str) -> Value {
    let mut answer = answer(&format!("Error codes: {codes}."), Some("ErrorResponse"));
    answer["headers"] = json!({
        "Retry-After": {
            "description": "429 and 503: whole seconds to wait before trying again.",
            "schema": { "type": "integer", "minimum": 0 }
        },
        "WWW-Authenticate": {
            "description": "401: `Bearer`.",
            "schema": { "type": "string" }
        }
    });
    answer
}

fn game_id() -> Value {
    json!({
        "name": "gameId", "in": "path", "required": true,
        "description": "The game's id.",
        "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" }
    })
}

fn token(required: bool, what: &str) -> Value {
    json!({
        "name": "Authorization", "in": "header", "required": required,
        "description": format!("`Bearer <token>`: {what}"),
        "schema": { "type": "string" }
    })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn limit(max: u64, default: u64) -> Value {
    query(
        "limit",
        &format!("1–{max}, default {default}."),
        json!({ "type": "integer", "minimum": 1, "maximum": max }),
    )
}

fn body(name: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } })
}

/// Errors every route that reads a JSON body can answer before the route's own.
fn body_errors(responses: &mut Value) {
    responses["408"] = error("body_timeout");
    responses["413"] = error("payload_too_large");
    responses["415"] = error("unsupported_encoding");
}

fn unavailable() -> Value {
    error("unavailable (a backing service does not answer; nothing was changed)")
}

/// Every route, by path and method.
pub fn paths() -> Value {
    let join_link = json!({
        "joinThisGame": {
            "operationId": "joinGame",
            "parameters": { "gameId": "$response.body#/gameId" },
            "description": "Take a seat in the game just created."
        }
    });
    let command_links = json!({
        "actInThisGame": {
            "operationId": "sendCommand",
            "parameters": {
                "gameId": "$response.body#/gameId",
                "header.Authorization": "Bearer {$response.body#/token}"
            },
            "description": "Act with the seat's token."
        },
        "viewThisGame": {
            "operationId": "getGame",
            "parameters": {
                "gameId": "$response.body#/gameId",
                "header.Authorization": "Bearer {$response.body#/token}"
            },
            "description": "The game as this seat sees it (legal hints on its turn)."
        },
        "leaveByCommand": {
            "operationId": "sendCommand",
            "parameters": {
                "gameId": "$response.body#/gameId",
                "header.Authorization": "Bearer {$response.body#/token}"
            },
            "requestBody": { "commandId": "leave", "command": { "type": "leave" } },
            "description": "The one command a seat may always send: leave (as `POST …/leave`)."
        },
        "leaveThisGame": {
            "operationId": "leaveGame",
            "parameters": {
                "gameId": "$response.body#/gameId",
                "header.Authorization": "Bearer {$response.body#/token}"
            },
            "description": "Give the seat up (before the game starts), or forfeit it."
        },
        "joinThisGameAgain": {
            "operationId": "joinGame",
            "parameters": { "gameId": "$response.body#/gameId" },
            "description": "Take another seat at the same table: the game starts when every seat is taken."
        }
    });

    let mut create = json!({
        "201": answer("The game was opened: its summary.", Some("GameSummary")),
        "400": error("invalid_json, invalid_request (with fields), invalid_game_id, invalid_player_count, invalid_bots"),
        "403": error("admin_only (seed or scenario without the admin token)"),
        "409": error("game_exists"),
        "422": error("invalid_scenario, invalid_rules"),
        "429": error("too_many_games, too_many_auth_failures"),
        "503": unavailable(),
    });
    create["201"]["links"] = join_link;
    body_errors(&mut create);

    let mut join = json!({
        "201": answer("The seat taken, and its token.", Some("JoinResponse")),
        "400": error("invalid_json, invalid_request (with fields), invalid_game_id"),
        "404": error("game_not_found"),
        "409": error("game_full, name_taken, version_conflict"),
        "422": error("game_over, invalid_name, already_joined, game_not_created"),
        "429": error("too_many_joins"),
        "503": unavailable(),
    });
    join["201"]["links"] = command_links;
    body_errors(&mut join);

    let mut bots = json!({
        "201": answer("The seat the computer player took.", Some("BotResponse")),
        "400": error("invalid_json, invalid_game_id"),
        "404": error("game_not_found"),
        "409": error("game_full, name_taken, version_conflict"),
        "422": error("game_over, game_not_created"),
        "429": error("too_many_joins"),
        "503": unavailable(),
    });
    body_errors(&mut bots);

    let player_errors = |ok: &str| {
        let mut responses = json!({
            "200": answer(ok, Some("CommandResponse")),
            "400": error("invalid_json, invalid_request (with fields), invalid_command, command_not_allowed, invalid_command_id, invalid_game_id"),
            "401": error("unauthorized (no token), invalid_token, token_expired"),
            "403": error("wrong_game"),
            "404": error("game_not_found"),
            "409": error("version_conflict, command_id_reused"),
            "422": error("a game rule: not_your_turn, game_not_started, game_over, not_a_player, card_not_in_hand, cannot_afford, invalid_slot, invalid_payment, invalid_upgrade, invalid_times, must_discard, invalid_discard, no_discard_owed, nothing_to_rest"),
            "503": error("unavailable (nothing was written), outcome_unknown (send the same commandId again)"),
        });
        body_errors(&mut responses);
        responses
    };
    let leave = player_errors(
        "The player left (before the start: the seat is free again; after: a forfeit).",
    );
    let mut leave = leave;
    leave["400"] = error("invalid_game_id");
    let command = player_errors("The command was committed (or had been: `duplicate`).");

    json!({
        "/api/games": {
            "post": {
                "operationId": "createGame", "tags": ["games"],
                "summary": "Open a game",
                "description": "`seed` and `scenario` need the admin token. Computer players in `bots` take the lowest seats.",
                "parameters": [token(false, "the admin token, for `seed` and `scenario` (and to be exempt from per-address limits)")],
                "requestBody": body("CreateGameRequest"),
                "responses": create
            },
            "get": {
                "operationId": "listGames", "tags": ["games"],
                "summary": "A page of games, newest first",
                "parameters": [
                    query("status", "Only games in this status.", json!({ "type": "string", "enum": ["waiting", "active", "finished"] })),
                    limit(1000, 50),
                    query(
                        "cursor",
                        "`nextCursor` of the previous page (opaque: pass it as given).",
                        json!({ "type": "string", "pattern": "^-?[0-9]{1,18}[.][A-Za-z0-9_-]{1,64}$" }),
                    ),
                ],
                "responses": {
                    "200": answer("The page; `nextCursor` is absent on the last one.", Some("GamePage")),
                    "400": error("invalid_query, invalid_limit, invalid_cursor"),
                    "503": unavailable(),
                }
            }
        },
        "/api/games/{gameId}": {
            "get": {
                "operationId": "getGame", "tags": ["games"],
                "summary": "The game now, as the token's seat or a spectator sees it",
                "description": "Without a token: the spectator's view. A token that is sent must be good (malformed or forged: 401 invalid_token; expired: 401 token_expired); a good token of another game, or of a player who left before the start, reads the spectator's view.",
                "parameters": [game_id(), token(false, "a player token of this game, for that seat's view")],
                "responses": {
                    "200": answer("The view, with `legal` on the seat's turn.", Some("ViewAt")),
                    "400": error("invalid_game_id"),
                    "401": error("invalid_token, token_expired"),
                    "404": error("game_not_found"),
                    "503": unavailable(),
                }
            }
        },
        "/api/games/{gameId}/join": {
            "post": {
                "operationId": "joinGame", "tags": ["games"],
                "summary": "Take the lowest free seat",
                "parameters": [game_id(), token(false, "the admin token (exempt from per-address limits)")],
                "requestBody": body("JoinRequest"),
                "responses": join
            }
        },
        "/api/games/{gameId}/bots": {
            "post": {
                "operationId": "addBot", "tags": ["games"],
                "summary": "Seat a computer player",
                "parameters": [game_id(), token(false, "the admin token (exempt from per-address limits)")],
                "requestBody": body("BotRequest"),
                "responses": bots
            }
        },
        "/api/games/{gameId}/leave": {
            "post": {
                "operationId": "leaveGame", "tags": ["games"],
                "summary": "Leave the table",
                "parameters": [game_id(), token(true, "the player's token")],
                "responses": leave
            }
        },
        "/api/games/{gameId}/commands": {
            "post": {
                "operationId": "sendCommand", "tags": ["games"],
                "summary": "Act: one command, idempotent by commandId",
                "parameters": [game_id(), token(true, "the player's token")],
                "requestBody": body("CommandRequest"),
                "responses": command
            }
        },
        "/api/games/{gameId}/events": {
            "get": {
                "operationId": "getEvents", "tags": ["games"],
                "summary": "The game's log: `after`/`limit`, or `since`/`until`",
                "parameters": [
                    game_id(),
                    query("after", "Events with an id above this one (default 0).", json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })),
                    limit(1000, 1000),
                    query("since", "Events committed at or after this time (RFC 3339); not with `after`.", json!({ "type": "string", "format": "date-time" })),
                    query("until", "Events committed before this time (RFC 3339); not with `after`.", json!({ "type": "string", "format": "date-time" })),
                ],
                "responses": {
                    "200": answer("The events, in id order.", Some("EventsResponse")),
                    "400": error("invalid_query, invalid_limit, invalid_range, invalid_game_id"),
                    "404": error("game_not_found"),
                    "503": unavailable(),
                }
            }
        },
        "/api/games/{gameId}/state": {
            "get": {
                "operationId": "getStateAt", "tags": ["games"],
                "summary": "The game as it was after event `at` (a spectator's view)",
                "parameters": [
                    game_id(),
                    query("at", "An event id, 1 or more (1: just created); without it, the state now.", json!({ "type": "integer", "minimum": 1, "maximum": u64::MAX })),
                ],
                "responses": {
                    "200": answer("The view after that event.", Some("ViewAt")),
                    "400": error("invalid_query, invalid_version, invalid_game_id"),
                    "404": error("game_not_found, event_not_found"),
                    "503": unavailable(),
                }
            }
        },
        "/api/leaderboard": {
            "get": {
                "operationId": "getLeaderboard", "tags": ["dashboards"],
                "summary": "Players by wins, then total score",
                "parameters": [limit(1000, 50)],
                "responses": {
                    "200": answer("The leaderboard.", Some("LeaderboardResponse")),
                    "400": error("invalid_query, invalid_limit"),
                    "503": unavailable(),
                }
            }
        },
        "/api/players/{name}/results": {
            "get": {
                "operationId": "getPlayerResults", "tags": ["dashboards"],
                "summary": "One name's finished games, newest first",
                "parameters": [
                    { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } },
                    limit(1000, 50),
                ],
                "responses": {
                    "200": answer("The results.", Some("ResultsResponse")),
                    "400": error("invalid_query, invalid_limit"),
                    "503": unavailable(),
                }
            }
        },
        "/api/stats": {
            "get": {
                "operationId": "getStats", "tags": ["dashboards"],
                "summary": "Counts for dashboards",
                "responses": {
                    "200": answer("The counts.", Some("ServerStats")),
                    "503": unavailable(),
                }
            }
        },
        "/api/cards": {
            "get": {
                "operationId": "getCards", "tags": ["dashboards"],
                "summary": "The card catalogue",
                "responses": { "200": answer("Every card.", Some("Catalogue")) }
            }
        },
        "/api/admin/rebuild-projections": {
            "post": {
                "operationId": "rebuildProjections", "tags": ["operations"],
                "summary": "Rebuild every read model from the events (admin)",
                "parameters": [token(false, "the admin token (without it, or with another token: 403 admin_only)")],
                "responses": {
                    "200": answer("What was rebuilt.", Some("RebuildResponse")),
                    "403": error("admin_only"),
                    "429": error("too_many_auth_failures"),
                    "503": unavailable(),
                }
            }
        },
        "/health": {
            "get": {
                "operationId": "health", "tags": ["operations"],
                "summary": "The process runs",
                "responses": { "200": {
                    "description": "Always, while the process runs.",
                    "content": { "application/json": { "schema": {
                        "type": "object", "required": ["status"], "additionalProperties": false,
                        "properties": { "status": { "const": "ok" } }
                    } } }
                } }
            }
        },
        "/ready": {
            "get": {
                "operationId": "ready", "tags": ["operations"],
                "summary": "The backing services answer (within 500 ms)",
                "responses": {
                    "200": {
                        "description": "Both answer.",
                        "content": { "application/json": { "schema": {
                            "type": "object", "required": ["status", "eventStore", "eventBus"], "additionalProperties": false,
                            "properties": {
                                "status": { "const": "ready" },
                                "eventStore": { "enum": ["ok", "failing"] },
                                "eventBus": { "enum": ["ok", "failing"] }
                            }
                        } } }
                    },
                    "503": {
                        "description": "`not_ready`: `failing` names what does not answer.",
                        "content": { "application/json": { "schema": {
                            "type": "object", "required": ["error", "status", "failing", "eventStore", "eventBus"],
                            "properties": {
                                "error": { "$ref": "#/components/schemas/ErrorResponse/properties/error" },
                                "status": { "const": "unavailable" },
                                "failing": { "type": "array", "items": { "enum": ["event_store", "event_bus"] } },
                                "eventStore": { "enum": ["ok", "failing"] },
                                "eventBus": { "enum": ["ok", "failing"] }
                            }
                        } } }
                    }
                }
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics", "tags": ["operations"],
                "summary": "Prometheus text (with METRICS_TOKEN set: that token or the admin token)",
                "parameters": [token(false, "METRICS_TOKEN or the admin token, when METRICS_TOKEN is set")],
                "responses": {
                    "200": { "description": "Prometheus exposition format.", "content": { "text/plain": { "schema": { "type": "string" } } } },
                    "401": error("metrics_token_required"),
                    "429": error("too_many_auth_failures"),
                }
            }
        }
    })
}
