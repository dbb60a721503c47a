//! Hostile clients against the real server: each attack is refused with its documented code or
//! bounded, and honest players keep playing meanwhile.
//!
//! - `readers`: WebSocket clients that stop reading (the connection is reset, SIGTERM is not held up);
//! - `frames`: floods of pings, pongs and fragments (they count toward the message limit);
//! - `spectators`: one spectator too many for a game;
//! - `names`: invisible characters, names taken in another case, wins by forfeit;
//! - `games`: unknown games, tokens of players who left, games that never fill.

mod frames;
mod games;
mod names;
mod readers;
mod spectators;

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use caravan::config::Settings;
use caravan::domain::Bot;

use crate::support::app::{test_settings, Joined, TestApp};
use crate::support::play::{assert_gap_free, next_move};

/// A raw WebSocket client stream.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The test settings, changed by `configure`.
pub fn settings(configure: impl FnOnce(&mut Settings)) -> Settings {
    let mut settings = test_settings();
    configure(&mut settings);
    settings
}

/// `ws://…/ws?gameId=…` for an app, with an optional token.
pub fn ws_url(app: &TestApp, game_id: &str, token: Option<&str>) -> String {
    let mut url = format!(
        "{}/ws?gameId={game_id}",
        app.address.replacen("http://", "ws://", 1)
    );
    if let Some(token) = token {
        url.push_str(&format!("&token={token}"));
    }
    url
}

/// Connects (the handshake must succeed).
pub async fn connect(app: &TestApp, game_id: &str, token: Option<&str>) -> Socket {
    tokio_tungstenite::connect_async(ws_url(app, game_id, token))
        .await
        .expect("the WebSocket handshake succeeds")
        .0
}

/// What a socket received until the server closed it: the JSON messages, and the close code.
pub async fn until_closed(socket: &mut Socket, within: Duration) -> (Vec<Value>, Option<u16>) {
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("the server did not close within {within:?}: {messages:?}"));
        match next {
            Some(Ok(Message::Text(text))) => {
                messages.push(serde_json::from_str(&text).expect("JSON frames"));
            }
            Some(Ok(Message::Close(frame))) => {
                return (messages, frame.map(|f| u16::from(f.code)));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (messages, None),
        }
    }
}

/// The first message of a connection (its `welcome`, or the `error` of a refusal).
pub async fn first_message(socket: &mut Socket) -> Value {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a first message within 20 s");
        if let Some(Ok(Message::Text(text))) = next {
            return serde_json::from_str(&text).expect("JSON frames");
        }
        assert!(
            matches!(next, Some(Ok(_))),
            "the connection ended first: {next:?}"
        );
    }
}

/// Plays a created game with `players` seated to its end over REST; returns the number of events.
pub async fn play_to_the_end(app: &TestApp, game_id: &str, players: &[Joined], seed: u64) -> u64 {
    let mut bot = Bot::new(seed);
    let mut moves = 0;
    while let Some((seat, command)) = next_move(&app.state(game_id).await, &mut bot) {
        let player = players
            .iter()
            .find(|p| p.seat == seat)
            .expect("a seated player");
        let (status, body) = app
            .command(game_id, &player.token, &format!("honest-{moves}"), &command)
            .await;
        assert_eq!(status, 200, "the honest move was refused: {body}");
        moves += 1;
        assert!(moves < 5_000, "the game ends");
    }
    let events = app.stored(game_id).await;
    let n = events.len() as u64;
    assert_gap_free(&events, n, "the honest game");
    n
}
