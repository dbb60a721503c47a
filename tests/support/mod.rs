//! The one test harness, mounted by every test binary as `crate::support`:
//!
//! - `app`: the server under test. `spawn_app()`, `spawn_app_with(|settings| …)`,
//!   `TestApp::spawn(settings)` and `TestApp::spawn_with_ports(settings, |ports| …)` (replace a
//!   port: a bus that is down, a slow store); `test_settings()` (in-memory adapters, port 0,
//!   `ADMIN_TOKEN`). REST helpers all answer `(StatusCode, Value)`: `get(path, token)`,
//!   `post(path, token, &body)`, `call(method, path, token, body)`, `create_game(n, seed)`,
//!   `post_game(body)`, `join(game, name) -> Joined`, `started_game(n, seed) -> (id, Vec<Joined>)`,
//!   `command(game, token, command_id, &command)`, `view`, `version`, `events(game, after)`,
//!   `metrics()`; `error_code(answer, status)`; `request(method, path)` for raw requests. Also the
//!   application side: `feed`, `stored`, `state`, `claims`; `stop()` waits for a clean stop.
//! - `contract`: the published schemas held against real answers: every frame a `WsClient`
//!   receives is checked against `/api/schema/ws.json` (`assert_server_message`);
//!   `assert_answer(openapi, method, path, status, body)` checks a REST answer.
//! - `ws`: `WsClient` (via `app.connect(game, token, last_event_id)`): `recv`, `recv_type`,
//!   `command`, `send_json`, `drain`, `wait_for_event`, `wait_for_state`, `recv_close`, `events()`;
//!   frame checks (`assert_contiguous`, `assert_same_events`, `assert_no_hidden_information`).
//! - `services`: MongoDB and Redis for one test. `with_services(|backing| …)` with
//!   `backing.settings()` for instances on both; `with_mongo(|database| …)`,
//!   `with_redis(|url, prefix| …)`; `fresh_mongo`/`fresh_redis` factories for `contract!`. With
//!   `CI=true` a missing service fails the test; elsewhere it is skipped with a loud message.
//! - `play`: `next_move` (the bot on a known state), `Mirror` (a game rebuilt from public events),
//!   `collect_feed`, `assert_gap_free`.
//! - `proxy`: a TCP proxy a test cuts and restores; `bus`: batches and waits on subscriptions;
//!   `stores`: `SlowStore`.
//!
//! The port contract suites are beside it, in `tests/contract` (`crate::contract!`).
#![allow(dead_code)]

pub mod app;
pub mod bus;
pub mod contract;
pub mod play;
pub mod proxy;
pub mod services;
pub mod stores;
pub mod ws;
