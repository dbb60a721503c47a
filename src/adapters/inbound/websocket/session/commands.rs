//! A session's commands: the client's text messages parsed and handed to the application, each in
//! its own task; results held back until the connection has sent the events they name.

use std::time::Instant;

use actix::{AsyncContext, Handler};
use actix_web_actors::ws;

use super::super::limits::Verdict;
use super::super::protocol::{
    close, codes, parse, ClientMessage, CommandResult, Refusal, ServerMessage,
};
use super::{CommandDone, Session};
use crate::adapters::inbound::wire::ErrorDto;
use crate::domain::Command;

impl Session {
    pub(super) fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        match self.limiter.check(Instant::now()) {
            Verdict::Allow => {}
            Verdict::Refuse => {
                let message = format!(
                    "more than {} messages per second; this one was dropped",
                    self.settings.max_messages_per_sec
                );
                let error = ErrorDto {
                    code: codes::RATE_LIMITED.into(),
                    message,
                };
                // A command is answered as a command, so its sender is not left waiting.
                let answer = match parse(text) {
                    Ok(ClientMessage::Command { request_id, .. })
                    | Err(Refusal {
                        request_id: Some(request_id),
                        ..
                    }) => ServerMessage::CommandResult(CommandResult::refused(request_id, error)),
                    _ => ServerMessage::error(error),
                };
                self.send(ctx, &answer);
                return;
            }
            Verdict::Abuse => {
                self.close_with_error(
                    ctx,
                    codes::RATE_LIMITED,
                    "too many messages for too long; closing the connection",
                    close::POLICY,
                );
                return;
            }
        }
        match parse(text) {
            Err(refusal) => {
                if !self.closing {
                    ctx.text(refusal.to_frame());
                }
            }
            Ok(ClientMessage::Ping) => self.send(ctx, &ServerMessage::Pong),
            Ok(ClientMessage::Command {
                request_id,
                command,
            }) => self.execute(request_id, command, ctx),
        }
    }

    pub(super) fn refuse_command(
        &self,
        ctx: &mut ws::WebsocketContext<Self>,
        request_id: String,
        code: &str,
        message: &str,
    ) {
        let error = ErrorDto {
            code: code.into(),
            message: message.into(),
        };
        self.send(
            ctx,
            &ServerMessage::CommandResult(CommandResult::refused(request_id, error)),
        );
    }

    /// Runs a command in its own task; the result comes back as [`CommandDone`].
    pub(super) fn execute(
        &mut self,
        request_id: String,
        command: Command,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let Some(player) = self.player.clone() else {
            self.refuse_command(
                ctx,
                request_id,
                codes::SPECTATOR_CANNOT_ACT,
                "this connection has no player token: spectators cannot send commands",
            );
            return;
        };
        if self.stopping {
            self.refuse_command(
                ctx,
                request_id,
                codes::SERVER_STOPPING,
                "the server is shutting down; reconnect and send the command again",
            );
            return;
        }
        // The token was checked at connect time; it may have expired since.
        if let Err(expired) = self.services.ensure_unexpired(&player) {
            self.send(
                ctx,
                &ServerMessage::CommandResult(CommandResult::failed(request_id, &expired)),
            );
            return;
        }
        self.in_flight += 1;
        let in_flight = self.sessions.command_started();
        let services = self.services.clone();
        let game_id = self.game_id.clone();
        let session = ctx.address();
        actix_web::rt::spawn(async move {
            let result = services
                .commands
                .execute(&player, &game_id, Some(&request_id), command)
                .await;
            session.do_send(CommandDone { request_id, result });
            drop(in_flight);
        });
    }

    /// Sends the held results whose events have gone out.
    pub(super) fn release_held(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let delivered = self.delivered;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(last, _)| *last <= delivered);
        self.held = waiting;
        for (_, result) in ready {
            self.send(ctx, &ServerMessage::CommandResult(result));
        }
    }
}

impl Handler<CommandDone> for Session {
    type Result = ();

    fn handle(&mut self, done: CommandDone, ctx: &mut Self::Context) {
        self.in_flight = self.in_flight.saturating_sub(1);
        match done.result {
            Ok(committed) if committed.last_event_id > self.delivered => {
                let result = CommandResult::accepted(done.request_id, &committed);
                self.held.push((committed.last_event_id, result));
            }
            Ok(committed) => {
                let result = CommandResult::accepted(done.request_id, &committed);
                self.send(ctx, &ServerMessage::CommandResult(result));
            }
            Err(e) => {
                let result = CommandResult::failed(done.request_id, &e);
                self.send(ctx, &ServerMessage::CommandResult(result));
            }
        }
        self.finish_shutdown_if_idle(ctx);
    }
}
