//! What a session guards itself against: a silent client (the heartbeat), floods (the rate limit
//! on every frame), and messages too large, whole or in fragments.

use std::time::{Duration, Instant};

use actix_http::ws::Item;
use actix_web_actors::ws;

use super::super::limits::Verdict;
use super::super::protocol::{close, codes, ServerMessage};
use super::{Fragments, Session};

impl Session {
    pub(super) fn heartbeat(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let timeout = Duration::from_secs(self.settings.client_timeout_secs);
        if self.last_heard.elapsed() > timeout {
            tracing::debug!(game_id = %self.game_id, "WebSocket client silent; closing");
            self.close(ctx, close::CLIENT_TIMEOUT, "client_timeout");
        } else {
            ctx.ping(b"");
        }
    }

    pub(super) fn on_fragment(&mut self, item: Item, ctx: &mut ws::WebsocketContext<Self>) {
        let (first, last, bytes, text) = match item {
            Item::FirstText(b) => (true, false, b, true),
            Item::FirstBinary(b) => (true, false, b, false),
            Item::Continue(b) => (false, false, b, false),
            Item::Last(b) => (false, true, b, false),
        };
        // Every fragment but the last counts as a message (the last is counted as the whole
        // message); one over the limit spoils the message it belongs to.
        let refused = !last && !self.frame_allowed(ctx);
        if self.closing {
            return;
        }
        if first {
            self.fragments = Some(Fragments {
                text,
                refused: false,
                data: Vec::new(),
            });
        }
        let Some(fragments) = self.fragments.as_mut() else {
            self.close_with_error(
                ctx,
                codes::PROTOCOL_ERROR,
                "a continuation frame without a first frame",
                close::PROTOCOL,
            );
            return;
        };
        fragments.refused |= refused;
        fragments.data.extend_from_slice(&bytes);
        if fragments.data.len() > self.settings.max_frame_bytes {
            self.fragments = None;
            self.frame_too_large(ctx);
            return;
        }
        if last {
            if let Some(done) = self.fragments.take() {
                if done.refused {
                    let message = format!(
                        "more than {} messages per second; this fragmented message was dropped",
                        self.settings.max_messages_per_sec
                    );
                    self.send(
                        ctx,
                        &ServerMessage::error_code(codes::RATE_LIMITED, message),
                    );
                    return;
                }
                if !done.text {
                    self.on_binary(ctx);
                    return;
                }
                match String::from_utf8(done.data) {
                    Ok(text) => self.on_text(&text, ctx),
                    Err(_) => self.close_with_error(
                        ctx,
                        codes::PROTOCOL_ERROR,
                        "a text message that is not UTF-8",
                        close::PROTOCOL,
                    ),
                }
            }
        }
    }

    pub(super) fn on_binary(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.limiter.check(Instant::now()) == Verdict::Abuse {
            self.close_with_error(
                ctx,
                codes::RATE_LIMITED,
                "too many messages for too long; closing the connection",
                close::POLICY,
            );
            return;
        }
        self.send(
            ctx,
            &ServerMessage::error_code(
                codes::BINARY_NOT_SUPPORTED,
                "binary frames are not supported: send JSON in text frames",
            ),
        );
    }

    /// Takes a token for a frame that is not a whole message (a ping, a pong, a fragment). A ping
    /// or pong over the limit is dropped without an answer (answering would let the sender double
    /// its traffic); sustained, the connection is closed with `rate_limited`.
    pub(super) fn frame_allowed(&mut self, ctx: &mut ws::WebsocketContext<Self>) -> bool {
        match self.limiter.check(Instant::now()) {
            Verdict::Allow => true,
            Verdict::Refuse => false,
            Verdict::Abuse => {
                self.close_with_error(
                    ctx,
                    codes::RATE_LIMITED,
                    "too many messages for too long; closing the connection",
                    close::POLICY,
                );
                false
            }
        }
    }

    pub(super) fn frame_too_large(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let limit = self.settings.max_frame_bytes;
        self.close_with_error(
            ctx,
            codes::FRAME_TOO_LARGE,
            format!("messages are limited to {limit} bytes"),
            close::TOO_LARGE,
        );
    }
}
