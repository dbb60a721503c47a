//! The common head of a `state` frame, written directly.
//!
//! A game's state is rendered once per version for all its connections ([`super::frames`]), and
//! that one rendering through serde_json was still a fifth of the server's instructions under load:
//! the generic path escapes every one of the ~150 keys of a 2 KiB state and goes through a map
//! serializer for every cube count. This writes the same bytes with the keys as literals.
//!
//! The output must equal serde_json's rendering of [`ServerMessage::State`] up to the viewer's own
//! fields, byte for byte. The tests compare the two at every version of bot games of 2 to 5
//! players (with leavers), and debug builds compare them on every state the server renders, so a
//! field added to [`GameView`] without being added here fails at once.
//!
//! [`ServerMessage::State`]: super::protocol::ServerMessage::State

use chrono::{DateTime, Utc};

use crate::domain::{
    Coin, GameStatus, GameView, MerchantSlotView, PlayerView, PointSlotView, Rules, Spices,
};

/// The `state` frame of `view` at `last_event_id`, up to (not including) `,"viewerSeat":`.
pub fn state_head(last_event_id: u64, view: &GameView) -> String {
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(br#"{"type":"state","lastEventId":"#);
    number(&mut out, last_event_id);
    out.extend_from_slice(br#","state":{"status":"#);
    write_status(&mut out, view.status);
    field(&mut out, br#","numPlayers":"#, view.num_players);
    out.extend_from_slice(br#","rules":"#);
    match &view.rules {
        Some(rules) => write_rules(&mut out, rules),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","players":["#);
    for (i, player) in view.players.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_player(&mut out, player);
    }
    out.extend_from_slice(br#"],"merchantRow":["#);
    for (i, slot) in view.merchant_row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_merchant_slot(&mut out, slot);
    }
    out.extend_from_slice(br#"],"pointRow":["#);
    for (i, slot) in view.point_row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_point_slot(&mut out, slot);
    }
    field(&mut out, br#"],"goldLeft":"#, view.gold_left);
    field(&mut out, br#","silverLeft":"#, view.silver_left);
    field(
        &mut out,
        br#","merchantDeckCount":"#,
        view.merchant_deck_count,
    );
    field(&mut out, br#","pointDeckCount":"#, view.point_deck_count);
    out.extend_from_slice(br#","currentSeat":"#);
    optional(&mut out, view.current_seat);
    field(&mut out, br#","round":"#, view.round);
    out.extend_from_slice(br#","endTriggered":"#);
    boolean(&mut out, view.end_triggered);
    out.extend_from_slice(br#","awaitingDiscard":"#);
    optional(&mut out, view.awaiting_discard);
    out.extend_from_slice(br#","winner":"#);
    optional(&mut out, view.winner);
    out.extend_from_slice(br#","turnDeadline":"#);
    write_deadline(&mut out, view.turn_deadline.as_ref());
    // Only literals, numbers and serde_json-escaped strings went in.
    String::from_utf8(out).unwrap_or_default()
}

/// A game's status, as a JSON string.
pub(super) fn write_status(out: &mut Vec<u8>, status: GameStatus) {
    out.extend_from_slice(match status {
        GameStatus::New => br#""new""#,
        GameStatus::Waiting => br#""waiting""#,
        GameStatus::Active => br#""active""#,
        GameStatus::Finished => br#""finished""#,
    });
}

/// A turn's deadline (RFC 3339, as serde renders it), or `null`.
pub(super) fn write_deadline(out: &mut Vec<u8>, deadline: Option<&DateTime<Utc>>) {
    match deadline {
        // Writing into a Vec cannot fail; serde's own rendering keeps the bytes equal.
        Some(deadline) => {
            let _ = serde_json::to_writer(&mut *out, deadline);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// The rules object.
pub(super) fn write_rules(out: &mut Vec<u8>, rules: &Rules) {
    field(out, br#"{"caravanCapacity":"#, rules.caravan_capacity);
    field(out, br#","pointCardsToEnd":"#, rules.point_cards_to_end);
    field(out, br#","numPlayers":"#, rules.num_players);
    out.extend_from_slice(br#","turnSeconds":"#);
    optional(out, rules.turn_seconds);
    field(out, br#","timeoutsToForfeit":"#, rules.timeouts_to_forfeit);
    out.push(b'}');
}

/// A player object.
pub(super) fn write_player(out: &mut Vec<u8>, player: &PlayerView) {
    field(out, br#"{"seat":"#, player.seat);
    out.extend_from_slice(br#","playerId":"#);
    string(out, &player.player_id.0);
    out.extend_from_slice(br#","name":"#);
    string(out, &player.name);
    out.extend_from_slice(br#","left":"#);
    boolean(out, player.left);
    out.extend_from_slice(br#","caravan":"#);
    write_spices(out, &player.caravan);
    out.extend_from_slice(br#","hand":"#);
    card_ids(out, player.hand.iter().map(|c| c.ascii()));
    out.extend_from_slice(br#","played":"#);
    card_ids(out, player.played.iter().map(|c| c.ascii()));
    out.extend_from_slice(br#","claimed":"#);
    card_ids(out, player.claimed.iter().map(|c| c.ascii()));
    field(out, br#","gold":"#, player.gold);
    field(out, br#","silver":"#, player.silver);
    field(out, br#","score":"#, player.score);
    out.extend_from_slice(br#","bot":"#);
    match player.bot {
        Some(level) => {
            out.push(b'"');
            out.extend_from_slice(level.as_str().as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    field(out, br#","timeouts":"#, player.timeouts);
    out.push(b'}');
}

/// A merchant-row slot object.
pub(super) fn write_merchant_slot(out: &mut Vec<u8>, slot: &MerchantSlotView) {
    out.extend_from_slice(br#"{"cardId":""#);
    out.extend_from_slice(&slot.card_id.ascii());
    out.extend_from_slice(br#"","cubes":"#);
    write_spices(out, &slot.cubes);
    out.push(b'}');
}

/// A point-row slot object.
pub(super) fn write_point_slot(out: &mut Vec<u8>, slot: &PointSlotView) {
    out.extend_from_slice(br#"{"cardId":""#);
    out.extend_from_slice(&slot.card_id.ascii());
    out.extend_from_slice(br#"","points":"#);
    number(out, slot.points);
    out.extend_from_slice(br#","cost":"#);
    write_spices(out, &slot.cost);
    out.extend_from_slice(br#","coin":"#);
    out.extend_from_slice(match slot.coin {
        None => b"null".as_slice(),
        Some(Coin::Gold) => br#""gold""#,
        Some(Coin::Silver) => br#""silver""#,
    });
    out.push(b'}');
}

/// A cubes object (all four keys).
pub(super) fn write_spices(out: &mut Vec<u8>, spices: &Spices) {
    field(out, br#"{"yellow":"#, spices.yellow);
    field(out, br#","red":"#, spices.red);
    field(out, br#","green":"#, spices.green);
    field(out, br#","brown":"#, spices.brown);
    out.push(b'}');
}

/// A list of card ids.
pub(super) fn card_ids(out: &mut Vec<u8>, ids: impl Iterator<Item = [u8; 3]>) {
    out.push(b'[');
    for (i, id) in ids.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(&id);
        out.push(b'"');
    }
    out.push(b']');
}

/// A key (with its separator and quotes, as a literal) and a number.
fn field(out: &mut Vec<u8>, key: &[u8], n: impl itoa::Integer) {
    out.extend_from_slice(key);
    number(out, n);
}

/// A whole number.
pub(super) fn number(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A whole number, or `null`.
pub(super) fn optional(out: &mut Vec<u8>, n: Option<impl itoa::Integer>) {
    match n {
        Some(n) => number(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// `true` or `false`.
pub(super) fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// A JSON string exactly as serde_json writes it (player names are anybody's text).
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::inbound::websocket::protocol::ServerMessage;
    use crate::domain::{random_player, Actor, Command, Game, PlayerId, Viewer};

    /// serde_json's rendering of the state frame, cut where the viewer's fields start.
    fn serde_head(id: u64, view: &GameView) -> String {
        let full = ServerMessage::State {
            last_event_id: id,
            state: view,
        }
        .to_frame();
        let at = full.rfind(r#","viewerSeat":"#).expect("viewer fields");
        full[..at].to_string()
    }

    #[test]
    fn the_head_is_serde_jsons_rendering_at_every_version_of_bot_games() {
        for (players, seed) in [(2, 3), (3, 5), (4, 23), (5, 8)] {
            let events = random_player::play_game(players, seed, 5_000);
            let mut game = Game::default();
            assert_eq!(
                state_head(0, &game.view(Viewer::Spectator)),
                serde_head(0, &game.view(Viewer::Spectator))
            );
            for (i, event) in events.iter().enumerate() {
                game.apply_mut(event);
                let view = game.view(Viewer::Spectator);
                let id = i as u64 + 1;
                assert_eq!(
                    state_head(id, &view),
                    serde_head(id, &view),
                    "{players} players, event {id}"
                );
            }
        }
    }

    #[test]
    fn names_that_need_escaping_and_a_player_who_left_are_written_as_serde_does() {
        let mut game = Game::default();
        let apply = |game: &mut Game, actor: &Actor, command: Command| {
            let events = game.decide(actor, &command).expect("legal");
            for event in &events {
                game.apply_mut(event);
            }
        };
        let create = Command::CreateGame {
            num_players: 3,
            seed: 9,
            scenario: None,
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
        };
        apply(&mut game, &Actor::System, create);
        let names = ["Zoë \"the\" \\ spicer", "</script> & /", "chili 🌶 ünïcødé"];
        for (i, name) in names.iter().enumerate() {
            let join = Command::Join {
                player_id: PlayerId::new(format!("p{i}")),
                name: (*name).to_string(),
            };
            apply(&mut game, &Actor::System, join);
        }
        let leaver = Actor::Player(PlayerId::new("p1"));
        apply(&mut game, &leaver, Command::Leave);
        let view = game.view(Viewer::Spectator);
        assert!(view.players.iter().any(|p| p.left));
        assert_eq!(state_head(7, &view), serde_head(7, &view));
    }
}
