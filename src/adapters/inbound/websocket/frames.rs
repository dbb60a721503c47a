//! Frames shared by the connections of one game.
//!
//! Every connection of a game is sent the same `event` frames, and `state` frames that differ only
//! in their last two fields (`viewerSeat` and `legal`): the game as seen from any seat is otherwise
//! the same. Rendering them once per game instead of once per connection was the largest saving
//! the profiles showed (serialising states was ~40 % of the server's instructions under load).
//!
//! [`GameFrames`] keeps the latest few event frames and the latest few state heads of one game,
//! for as long as a session of that game holds it. A state head is the common view's frame up to
//! the viewer's fields, written directly by [`state_head`] (byte for byte what serde_json renders:
//! the tests compare them at every version of bot games, and debug builds on every state), and
//! each connection's frame is that head with its own `viewerSeat` and `legal`.
//!
//! Protocol 2's `update` frames are shared the same way: the frame up to the viewer's own members
//! of its patch (the events and the common part of the patch, [`patch::write_common`]) is written
//! once per game and pair of versions, and each connection's frame is that head with its own
//! `viewerSeat` and `legal` when they changed ([`patch::write_viewer`]). Protocol 4's frame is the
//! array `[events, patch]` in place of the object.

use std::collections::VecDeque;
use std::sync::Arc;

use bytestring::ByteString;
use parking_lot::Mutex;

use super::patch::{self, Members};
use super::protocol::{event_frame, write_update_event, Protocol, ServerMessage};
use super::state_json::state_head;
use crate::application::ports::StoredEvent;
use crate::application::{FeedUpdate, SharedByGame, ViewerState};
use crate::domain::{GameView, LegalHints, Seat};

/// Event frames kept per game (a few commands' worth: connections run close behind each other).
const KEPT_EVENTS: usize = 16;
/// State heads kept per game.
const KEPT_STATES: usize = 2;
/// Update heads kept per game.
const KEPT_UPDATES: usize = 4;
/// Where the viewer's own fields start in a state frame.
const VIEWER_FIELDS: &str = r#","viewerSeat":"#;

/// The games' shared frames on this server.
pub type SharedFrames = SharedByGame<GameFrames>;

/// The latest frames of one game.
#[derive(Debug, Default)]
pub struct GameFrames {
    recent: Mutex<Recent>,
}

#[derive(Debug, Default)]
struct Recent {
    /// (event id, frame), ascending ids.
    events: VecDeque<(u64, ByteString)>,
    /// (lastEventId, the state frame up to the viewer's fields).
    states: VecDeque<(u64, Arc<str>)>,
    /// ((from, to, protocol), the update frame up to the viewer's members of its patch).
    updates: VecDeque<((u64, u64, u8), UpdateHead)>,
}

/// An `update` frame up to the viewer's own members of its patch.
#[derive(Debug, Clone)]
struct UpdateHead {
    text: Arc<str>,
    /// The patch has no member yet.
    empty: bool,
}

impl GameFrames {
    /// The `event` frame of a stored event (ids name one event for good: a game's log only grows).
    /// Cloning it shares the bytes.
    pub fn event(&self, stored: &StoredEvent) -> ByteString {
        let id = stored.event_id;
        if let Some(frame) = self.recent.lock().events.iter().find(|(i, _)| *i == id) {
            return frame.1.clone();
        }
        let frame = ByteString::from(event_frame(stored));
        let mut recent = self.recent.lock();
        if !recent.events.iter().any(|(i, _)| *i == id) {
            let at = recent.events.partition_point(|(i, _)| *i < id);
            recent.events.insert(at, (id, frame.clone()));
            while recent.events.len() > KEPT_EVENTS {
                recent.events.pop_front();
            }
        }
        frame
    }

    /// The `state` frame of `state` at `last_event_id`: the common head rendered once per version,
    /// completed with the viewer's own fields.
    pub fn state(&self, last_event_id: u64, state: &ViewerState) -> String {
        let head = self
            .recent
            .lock()
            .states
            .iter()
            .find(|(v, _)| *v == last_event_id)
            .map(|(_, head)| head.clone());
        if let Some(head) = head {
            if let Some(frame) = with_viewer(&head, state.viewer_seat, state.legal.as_ref()) {
                return frame;
            }
        }
        let head: Arc<str> = state_head(last_event_id, &state.common).into();
        #[cfg(debug_assertions)]
        {
            let full = render(last_event_id, &state.common);
            let serde_head = full.rfind(VIEWER_FIELDS).map(|at| &full[..at]);
            assert_eq!(
                Some(&*head),
                serde_head,
                "the state head written directly differs from serde_json's"
            );
        }
        {
            let mut recent = self.recent.lock();
            if !recent.states.iter().any(|(v, _)| *v == last_event_id) {
                recent.states.push_back((last_event_id, head.clone()));
                while recent.states.len() > KEPT_STATES {
                    recent.states.pop_front();
                }
            }
        }
        if let Some(frame) = with_viewer(&head, state.viewer_seat, state.legal.as_ref()) {
            return frame;
        }
        // The view's shape does not allow sharing: render this viewer's frame in full.
        render(last_event_id, &state.to_view())
    }
}

impl GameFrames {
    /// The `update` frame of `update` in `protocol` (2 to 4): its events, and the patch from the
    /// state this connection holds (`update.previous`) to `update.state`. The part shared by every
    /// connection of the game is written once per pair of versions (and protocol).
    pub fn update(&self, update: &FeedUpdate, protocol: Protocol) -> String {
        let from = update.events.first().map_or(0, |e| e.event_id - 1);
        let key = (from, update.last_event_id, protocol.number());
        let cached = self
            .recent
            .lock()
            .updates
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, head)| head.clone());
        let head = match cached {
            Some(head) => head,
            None => {
                let head = update_head(update, protocol);
                let mut recent = self.recent.lock();
                if !recent.updates.iter().any(|(k, _)| *k == key) {
                    recent.updates.push_back((key, head.clone()));
                    while recent.updates.len() > KEPT_UPDATES {
                        recent.updates.pop_front();
                    }
                }
                head
            }
        };
        let mut out = Vec::with_capacity(head.text.len() + 16);
        out.extend_from_slice(head.text.as_bytes());
        let mut members = Members::new(&mut out, head.empty);
        patch::write_viewer(
            &mut members,
            &update.previous,
            &update.state,
            protocol.packed(),
        );
        out.extend_from_slice(if protocol.packed() { b"}]" } else { b"}}" });
        // Only literals, numbers and serde_json-written values went in.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The `update` frame of `update` up to the viewer's own members of its patch.
fn update_head(update: &FeedUpdate, protocol: Protocol) -> UpdateHead {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(if protocol.packed() {
        &b"[["[..]
    } else {
        br#"{"type":"update","events":["#
    });
    let mut previous = None;
    for (i, event) in update.events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_update_event(&mut out, event, previous, protocol);
        previous = Some(&event.timestamp);
    }
    out.extend_from_slice(if protocol.packed() {
        &b"],{"[..]
    } else {
        br#"],"patch":{"#
    });
    let mut members = Members::new(&mut out, true);
    patch::write_common(&mut members, &update.previous.common, &update.state.common);
    let empty = members.is_empty();
    UpdateHead {
        // Only literals, numbers and serde_json-written values went in.
        text: String::from_utf8(out).unwrap_or_default().into(),
        empty,
    }
}

/// A whole `state` frame.
fn render(last_event_id: u64, view: &GameView) -> String {
    ServerMessage::State {
        last_event_id,
        state: view,
    }
    .to_frame()
}

/// A state frame's head completed with the viewer's own fields and the closing braces.
fn with_viewer(head: &str, seat: Option<Seat>, legal: Option<&LegalHints>) -> Option<String> {
    let seat = serde_json::to_string(&seat).ok()?;
    let legal = serde_json::to_string(&legal).ok()?;
    let mut frame =
        String::with_capacity(head.len() + VIEWER_FIELDS.len() + seat.len() + legal.len() + 12);
    frame.push_str(head);
    frame.push_str(VIEWER_FIELDS);
    frame.push_str(&seat);
    frame.push_str(r#","legal":"#);
    frame.push_str(&legal);
    frame.push_str("}}");
    Some(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{random_player, Game, Viewer};

    fn stored(game_id: &str, id: u64, event: &crate::domain::Event) -> StoredEvent {
        StoredEvent {
            game_id: game_id.into(),
            event_id: id,
            command_id: None,
            timestamp: chrono::Utc::now(),
            event: event.clone(),
        }
    }

    #[test]
    fn shared_frames_equal_frames_rendered_for_each_connection() {
        let events = random_player::play_game(4, 23, 5_000);
        let frames = GameFrames::default();
        let mut game = Game::default();
        for (i, event) in events.iter().enumerate() {
            let id = i as u64 + 1;
            let stored = stored("g", id, event);
            game.apply_mut(event);
            // Four players and a spectator, as their sessions would ask.
            for _ in 0..5 {
                assert_eq!(&*frames.event(&stored), event_frame(&stored));
            }
            let common = Arc::new(game.view(Viewer::Spectator));
            let viewers = (0..4).map(Viewer::Seat).chain([Viewer::Spectator]);
            for viewer in viewers {
                let view = game.view(viewer);
                let expected = ServerMessage::State {
                    last_event_id: id,
                    state: &view,
                }
                .to_frame();
                let state = ViewerState {
                    common: common.clone(),
                    viewer_seat: view.viewer_seat,
                    legal: view.legal.clone(),
                };
                assert_eq!(frames.state(id, &state), expected, "event {id}, {viewer:?}");
            }
        }
        let recent = frames.recent.lock();
        assert!(recent.events.len() <= KEPT_EVENTS);
        assert!(!recent.states.is_empty(), "heads are kept once checked");
        assert!(recent.states.len() <= KEPT_STATES);
    }
}
