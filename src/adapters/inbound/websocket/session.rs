//! One WebSocket connection: an actor that sends a game's feed to the client and hands the client's
//! commands to the application.
//!
//! Shape of the actix `websockets/chat` example: a session actor per connection, a heartbeat,
//! bookkeeping in `started`/`stopped`. What runs where:
//! - the feed is pulled by a separate task ([`super::outbox::pump`]) that sends updates here;
//! - each command runs in its own task and sends its result back as [`CommandDone`];
//! - the heartbeat and the server's stopping are watched by a third task (`clock`) that sends
//!   [`Tick`]s here. actix polls every future an actor spawned each time the actor wakes, so a
//!   timer or a watch held by the actor would be polled again for every frame in and out.
//!
//! So neither a slow command nor a slow reader delays the heartbeat, and a connection that stops
//! being driven (its client stopped reading) never holds up a command, or the game's other players.
//!
//! Ordering: frames for one game go out in event-id order (the feed guarantees it). A successful
//! `commandResult` is held back until the connection has sent the events it names and the state
//! after them (the `update` frame that carries them, in protocol 2), so a client can trust its state as soon as it reads the result.
//!
//! The commands are in `session/commands.rs`; the heartbeat, the rate limit and fragmented
//! messages in `session/guard.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Handler, Message, Recipient, StreamHandler,
    WrapFuture,
};
use actix_web_actors::ws::{self, CloseCode};
use tokio::task::JoinHandle;

use super::frames::GameFrames;
use super::limits::RateLimiter;
use super::outbox::{pump, FeedMessage, Outbox, SLOW_CONSUMER_GRACE};
use super::protocol::{close, close_reason, codes, CommandResult, Protocol, ServerMessage};
use super::registry::{Sessions, SpectatorPlace};
use crate::adapters::inbound::ShutdownSignal;
use crate::application::ports::StoredEvent;
use crate::application::{
    ApplicationError, Committed, FeedStart, GameFeed, PlayerClaims, Services,
};
use crate::config::WebSocketSettings;
use crate::domain::{Seat, Viewer};

/// How long a stopping server lets a session wait for its in-flight commands before closing it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a session starts with, prepared (and checked) before the upgrade.
pub struct Opened {
    /// The game.
    pub game_id: String,
    /// The player's claims; `None` for a spectator.
    pub player: Option<PlayerClaims>,
    /// The welcome or catch-up to send first.
    pub start: FeedStart,
    /// The live feed, already subscribed.
    pub feed: GameFeed,
    /// A spectator's place in the game, held while the connection is open (`None` for a player).
    pub spectator: Option<SpectatorPlace>,
    /// The protocol the client asked for.
    pub protocol: Protocol,
}

/// A command's outcome, sent back to the session by the task that ran it.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct CommandDone {
    request_id: String,
    result: Result<Committed, ApplicationError>,
}

/// What the session's clock task tells it.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum Tick {
    /// Time to ping the client, or to close it if it has been silent too long.
    Heartbeat,
    /// The server is stopping.
    Stopping,
}

/// Sends `session` a [`Tick::Heartbeat`] every `interval` (the first after one interval), and one
/// [`Tick::Stopping`] once the server starts stopping, until the session goes away.
async fn clock(interval: Duration, mut shutdown: ShutdownSignal, session: Recipient<Tick>) {
    let interval = interval.max(Duration::from_millis(1));
    let mut beats = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut stopping = false;
    while session.connected() {
        tokio::select! {
            _ = beats.tick() => session.do_send(Tick::Heartbeat),
            () = shutdown.stopping(), if !stopping => {
                stopping = true;
                session.do_send(Tick::Stopping);
            }
        }
    }
}

/// A fragmented message being reassembled.
struct Fragments {
    text: bool,
    /// A fragment came over the message limit: the message is dropped once complete.
    refused: bool,
    data: Vec<u8>,
}

/// The actor of one WebSocket connection.
pub struct Session {
    services: Arc<Services>,
    settings: WebSocketSettings,
    game_id: String,
    player: Option<PlayerClaims>,
    seat: Option<Seat>,
    protocol: Protocol,
    start: Option<FeedStart>,
    feed: Option<GameFeed>,
    pump: Option<JoinHandle<()>>,
    /// The task that sends [`Tick`]s.
    clock: Option<JoinHandle<()>>,
    outbox: Arc<Outbox>,
    /// The id of the last event sent to the client.
    delivered: u64,
    /// Accepted commands whose events this connection has not sent yet: (their last id, result).
    held: Vec<(u64, CommandResult)>,
    /// Commands handed to the application and not answered yet.
    in_flight: usize,
    limiter: RateLimiter,
    last_heard: Instant,
    fragments: Option<Fragments>,
    shutdown: ShutdownSignal,
    sessions: Arc<Sessions>,
    /// Frames shared with the game's other sessions.
    frames: Arc<GameFrames>,
    /// The server is stopping: no new commands; close once the in-flight ones are answered.
    stopping: bool,
    /// While stopping: the game's last event id once no command was in flight; close after sending it.
    drain_to: Option<u64>,
    /// A close frame has been queued: write nothing more.
    closing: bool,
    /// Released when the session ends.
    _spectator: Option<SpectatorPlace>,
}

impl Session {
    /// A session over an opened feed.
    pub fn new(
        opened: Opened,
        services: Arc<Services>,
        settings: WebSocketSettings,
        shutdown: ShutdownSignal,
        sessions: Arc<Sessions>,
    ) -> Self {
        let now = Instant::now();
        let frames = sessions.frames().game(&opened.game_id);
        Session {
            frames,
            seat: opened.feed.seat(),
            protocol: opened.protocol,
            outbox: Arc::new(Outbox::new(
                settings.outbound_queue,
                settings.outbound_queue_bytes,
            )),
            limiter: RateLimiter::new(settings.max_messages_per_sec, now),
            services,
            settings,
            game_id: opened.game_id,
            player: opened.player,
            start: Some(opened.start),
            feed: Some(opened.feed),
            pump: None,
            clock: None,
            delivered: 0,
            held: Vec::new(),
            in_flight: 0,
            last_heard: now,
            fragments: None,
            shutdown,
            sessions,
            stopping: false,
            drain_to: None,
            closing: false,
            _spectator: opened.spectator,
        }
    }

    fn send(&self, ctx: &mut ws::WebsocketContext<Self>, message: &ServerMessage<'_>) {
        if !self.closing {
            ctx.text(message.to_frame());
        }
    }

    fn send_event(&self, ctx: &mut ws::WebsocketContext<Self>, event: &StoredEvent) {
        if !self.closing {
            ctx.text(self.frames.event(event));
        }
    }

    /// Sends an `error`, then a close frame, and stops.
    fn close_with_error(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        code: &str,
        message: impl Into<String>,
        close_code: CloseCode,
    ) {
        self.send(ctx, &ServerMessage::error_code(code, message));
        self.close(ctx, close_code, code);
    }

    /// Sends a close frame and stops.
    fn close(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: CloseCode, reason: &str) {
        if self.closing {
            return;
        }
        self.closing = true;
        ctx.close(Some(close_reason(code, reason)));
        ctx.stop();
    }

    /// The welcome, or the missed events, `caughtUp` and the state.
    fn send_start(&mut self, start: FeedStart, ctx: &mut ws::WebsocketContext<Self>) {
        match start {
            FeedStart::Welcome {
                last_event_id,
                state,
            } => {
                self.send(
                    ctx,
                    &ServerMessage::Welcome {
                        game_id: &self.game_id,
                        seat: self.seat,
                        protocol: self.protocol.number(),
                        last_event_id,
                        state: &state,
                    },
                );
                self.delivered = last_event_id;
            }
            FeedStart::CatchUp {
                missed,
                last_event_id,
                state,
            } => {
                for event in &missed {
                    self.send_event(ctx, event);
                }
                self.send(
                    ctx,
                    &ServerMessage::CaughtUp {
                        last_event_id,
                        protocol: self.protocol.number(),
                    },
                );
                self.send(
                    ctx,
                    &ServerMessage::State {
                        last_event_id,
                        state: &state,
                    },
                );
                self.delivered = last_event_id;
            }
        }
    }

    /// The server is stopping: take no new command; once no command is in flight on this server,
    /// send the game's events up to then and close with 1001 (after [`SHUTDOWN_GRACE`] at most).
    fn begin_shutdown(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        ctx.run_later(SHUTDOWN_GRACE, |act, ctx| {
            act.close(ctx, close::GOING_AWAY, "server_stopping");
        });
        let sessions = self.sessions.clone();
        let services = self.services.clone();
        let game_id = self.game_id.clone();
        ctx.spawn(
            async move {
                sessions.idle().await;
                services
                    .queries
                    .view(&game_id, Viewer::Spectator)
                    .await
                    .map(|view| view.last_event_id)
            }
            .into_actor(self)
            .map(|latest, act, ctx| {
                // Without an answer from the store, what was sent already has to do.
                act.drain_to = Some(latest.unwrap_or(act.delivered));
                act.finish_shutdown_if_idle(ctx);
            }),
        );
    }

    fn finish_shutdown_if_idle(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let drained = self.drain_to.is_some_and(|last| self.delivered >= last);
        if self.stopping && drained && self.in_flight == 0 && self.held.is_empty() {
            self.close(ctx, close::GOING_AWAY, "server_stopping");
        }
    }
}

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.services.metrics().websocket_opened();
        self.sessions.session_opened();
        if let Some(start) = self.start.take() {
            self.send_start(start, ctx);
        }
        if let Some(feed) = self.feed.take() {
            let recipient = ctx.address().recipient();
            self.pump = Some(actix_web::rt::spawn(pump(
                feed,
                self.frames.clone(),
                self.outbox.clone(),
                recipient,
                SLOW_CONSUMER_GRACE,
                self.protocol,
            )));
        }
        let interval = Duration::from_secs(self.settings.heartbeat_secs);
        self.clock = Some(actix_web::rt::spawn(clock(
            interval,
            self.shutdown.clone(),
            ctx.address().recipient(),
        )));
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if let Some(pump) = self.pump.take() {
            pump.abort();
        }
        if let Some(clock) = self.clock.take() {
            clock.abort();
        }
        self.sessions.session_closed();
        self.services.metrics().websocket_closed();
    }
}

impl Handler<FeedMessage> for Session {
    type Result = ();

    fn handle(&mut self, message: FeedMessage, ctx: &mut Self::Context) {
        match message {
            FeedMessage::Update(update) => {
                self.outbox.written(update.frames.len(), update.bytes);
                if self.closing || self.outbox.is_slow() {
                    // The connection is about to close; the client resumes from what it has.
                    return;
                }
                for frame in update.frames {
                    ctx.text(frame);
                }
                self.delivered = update.last_event_id;
                self.release_held(ctx);
                self.finish_shutdown_if_idle(ctx);
            }
            FeedMessage::Slow => {
                let message = format!(
                    "this connection fell more than {} messages or {} bytes behind; reconnect with lastEventId={}",
                    self.settings.outbound_queue, self.settings.outbound_queue_bytes, self.delivered
                );
                self.close_with_error(ctx, codes::SLOW_CONSUMER, message, close::TRY_AGAIN);
            }
            FeedMessage::Ended => self.close(ctx, close::GOING_AWAY, "server_stopping"),
            FeedMessage::Failed(e) => {
                let code = e.code();
                self.close_with_error(ctx, code, e.to_string(), close::SERVER_ERROR);
            }
        }
    }
}

impl Handler<Tick> for Session {
    type Result = ();

    fn handle(&mut self, tick: Tick, ctx: &mut Self::Context) {
        match tick {
            Tick::Heartbeat => self.heartbeat(ctx),
            Tick::Stopping => self.begin_shutdown(ctx),
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        if self.closing {
            return;
        }
        let message = match item {
            Ok(message) => message,
            Err(ws::ProtocolError::Overflow) => {
                self.frame_too_large(ctx);
                return;
            }
            Err(e) => {
                let message = super::protocol::describe_protocol_error(&e);
                self.close_with_error(ctx, codes::PROTOCOL_ERROR, message, close::PROTOCOL);
                return;
            }
        };
        self.last_heard = Instant::now();
        // Control frames and the fragments of a message count toward the message limit like
        // messages do (a fragmented message's last frame is counted as the message itself).
        // (Fragments are counted in `on_fragment`.)
        if matches!(message, ws::Message::Ping(_) | ws::Message::Pong(_))
            && !self.frame_allowed(ctx)
        {
            return;
        }
        match message {
            ws::Message::Text(text) => self.on_text(&text, ctx),
            ws::Message::Binary(_) => self.on_binary(ctx),
            ws::Message::Continuation(item) => self.on_fragment(item, ctx),
            ws::Message::Ping(payload) => ctx.pong(&payload),
            ws::Message::Pong(_) | ws::Message::Nop => {}
            ws::Message::Close(reason) => {
                self.closing = true;
                ctx.close(reason);
                ctx.stop();
            }
        }
    }
}

mod commands;
mod guard;
