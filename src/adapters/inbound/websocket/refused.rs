//! A connection refused before it started (an unknown game, a bad token, a full spectator
//! gallery): its own small actor, which sends one `error` and closes.

use actix::{Actor, ActorContext, StreamHandler};
use actix_web_actors::ws::{self, CloseCode};

use super::protocol::{close, close_reason, codes, ServerMessage};
use crate::adapters::inbound::wire::ErrorDto;
use crate::application::ApplicationError;

/// A connection refused before it started: it sends one `error`, then closes.
pub struct Refused {
    error: ErrorDto,
    close: CloseCode,
}

impl Refused {
    /// Refuses with `error`, closing with `close`.
    pub fn with(error: ErrorDto, close: CloseCode) -> Self {
        Refused { error, close }
    }

    /// The refusal's code.
    pub fn code(&self) -> &str {
        &self.error.code
    }
}

impl Refused {
    /// Refuses with the application's error: a backing service that failed closes with 1011
    /// (try again), a stopping server with 1001, anything else with 1008 (policy).
    pub fn new(error: &ApplicationError) -> Self {
        let close = match error {
            ApplicationError::Unavailable { code, .. } if *code == codes::SERVER_STOPPING => {
                close::GOING_AWAY
            }
            ApplicationError::Unavailable { .. } => close::SERVER_ERROR,
            _ => close::POLICY,
        };
        Refused {
            error: ErrorDto::from(error),
            close,
        }
    }
}

impl Actor for Refused {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.text(ServerMessage::error(self.error.clone()).to_frame());
        ctx.close(Some(close_reason(self.close, &self.error.code)));
        ctx.stop();
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Refused {
    fn handle(&mut self, _: Result<ws::Message, ws::ProtocolError>, _: &mut Self::Context) {}
}
