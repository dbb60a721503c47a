//! A WebSocket client for tests that span instances: it reads every frame as it arrives (in a task
//! of its own, so a busy game never backs up on the server), records the `event` frames, and sends
//! commands on request.

use std::collections::HashMap;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

enum Control {
    /// Send this command and answer with its `commandResult`.
    Command(String, Value, oneshot::Sender<Value>),
    /// Return once an event with this id (or a later one) has been received.
    FinishAt(u64),
}

/// What a connection received by the time it ended.
#[derive(Debug, Default)]
pub struct Received {
    /// The `event` frames, in order.
    pub events: Vec<Value>,
    /// The close code, when the server closed the connection.
    pub closed_with: Option<u16>,
}

/// A live connection to `/ws`.
pub struct WsConnection {
    control: mpsc::UnboundedSender<Control>,
    task: tokio::task::JoinHandle<Received>,
}

impl WsConnection {
    /// Connects to `http_address` (`http://host:port`) for `game_id`, with an optional token, from
    /// `last_event_id`.
    pub async fn open(
        http_address: &str,
        game_id: &str,
        token: Option<&str>,
        last_event_id: u64,
    ) -> WsConnection {
        let mut url = format!(
            "{}/ws?gameId={game_id}&lastEventId={last_event_id}",
            http_address.replacen("http://", "ws://", 1)
        );
        if let Some(token) = token {
            url.push_str(&format!("&token={token}"));
        }
        let (mut stream, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("the WebSocket handshake succeeds");
        let (control, mut requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut received = Received::default();
            let mut pending: HashMap<String, oneshot::Sender<Value>> = HashMap::new();
            let mut finish_at: Option<u64> = None;
            let reached = |received: &Received, target: Option<u64>| {
                target.is_some_and(|target| {
                    received
                        .events
                        .last()
                        .is_some_and(|e| e["eventId"].as_u64() >= Some(target))
                })
            };
            loop {
                if reached(&received, finish_at) {
                    let _ = stream.close(None).await;
                    return received;
                }
                tokio::select! {
                    frame = stream.next() => match frame {
                        Some(Ok(Message::Text(text))) => {
                            let message: Value = serde_json::from_str(&text).expect("JSON frames");
                            match message["type"].as_str() {
                                Some("event") => received.events.push(message),
                                Some("commandResult") => {
                                    let id = message["requestId"].as_str().unwrap_or_default();
                                    if let Some(reply) = pending.remove(id) {
                                        let _ = reply.send(message);
                                    }
                                }
                                _ => {}
                            }
                        }
                        Some(Ok(Message::Close(frame))) => {
                            received.closed_with = frame.map(|f| u16::from(f.code));
                            return received;
                        }
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => return received,
                    },
                    request = requests.recv() => match request {
                        Some(Control::Command(id, command, reply)) => {
                            pending.insert(id.clone(), reply);
                            let message = json!({ "type": "command", "requestId": id, "command": command });
                            if stream.send(Message::text(message.to_string())).await.is_err() {
                                return received;
                            }
                        }
                        Some(Control::FinishAt(target)) => finish_at = Some(target),
                        None => return received,
                    },
                }
            }
        });
        WsConnection { control, task }
    }

    /// Sends a command; its `commandResult`.
    pub async fn command(&self, request_id: &str, command: &impl serde::Serialize) -> Value {
        let (reply, result) = oneshot::channel();
        let command = serde_json::to_value(command).unwrap();
        self.control
            .send(Control::Command(request_id.to_string(), command, reply))
            .expect("the connection is open");
        tokio::time::timeout(Duration::from_secs(20), result)
            .await
            .expect("a commandResult within 20 s")
            .expect("the connection stays open")
    }

    /// Waits until the event `last_event_id` has arrived, closes, and returns what was received.
    pub async fn finish_at(self, last_event_id: u64) -> Received {
        let _ = self.control.send(Control::FinishAt(last_event_id));
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap_or_else(|_| panic!("event {last_event_id} did not arrive within 30 s"))
            .unwrap()
    }

    /// Waits for the server to close the connection; what was received.
    pub async fn closed(self) -> Received {
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the server closes within 30 s")
            .unwrap()
    }
}

/// The event ids of frames.
pub fn event_ids(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["eventId"].as_u64().expect("eventId"))
        .collect()
}
