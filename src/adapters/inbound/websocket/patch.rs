//! The `patch` of an `update` frame (protocol 2): what changed in a viewer's state between two
//! versions, written straight from the two views (no JSON tree is built or compared).
//!
//! The format is documented in `docs/protocol.md` ("Protocol 2: updates"). In short, a patch is an
//! object merged into the state the client holds, member by member:
//! - an object onto an object merges recursively;
//! - an object onto an array patches that array's elements by index (its keys are decimal
//!   indexes; the array keeps its length), each element merged by these same rules;
//! - anything else (a number, string, boolean, `null`, an array, or an object onto `null`)
//!   replaces the value. Nothing is ever removed: every field of a view is always present.
//!
//! - an object with the members `-` and/or `+` onto an array of card ids (`hand`, `played`,
//!   `claimed`): the elements at the indexes listed in `-` are removed, then those of `+` are
//!   appended.
//!
//! What this writes follows those rules: a list of card ids is written as its removals and
//! additions when that is shorter than the list, else whole; an array of objects whose length
//! changed is replaced whole; `rules` and `legal` are replaced whole.
//!
//! Protocol 4 writes the `legal` hints as an array ([`write_packed_legal`]); the rest is the same.
//!
//! [`write_common`] writes the members every viewer of the game shares (all but `viewerSeat` and
//! `legal`), once per game and pair of versions; [`write_viewer`] the viewer's own, per connection.
//! [`apply`] is those rules applied, as a client does. The property tests apply these patches with it and compare the
//! result with the full state at every version, for every seat and a spectator.

use serde::Serialize;

use super::protocol::compact::write_packed_legal;
use super::state_json::{
    boolean, card_ids, number, optional, string, write_deadline, write_merchant_slot, write_player,
    write_point_slot, write_rules, write_status,
};
use crate::application::ViewerState;
use crate::domain::{GameView, MerchantSlotView, PlayerView, PointSlotView, Spices};

/// The members of an object being written: each one after the first is preceded by a comma.
pub struct Members<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Members<'a> {
    /// Members written after whatever `out` holds; `empty` says whether the object written so far
    /// has no member yet.
    pub fn new(out: &'a mut Vec<u8>, empty: bool) -> Self {
        Members { out, empty }
    }

    /// True while no member has been written.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Starts a member: the separator and the key (a literal ASCII key, or an index), ready for
    /// its value.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A member whose value is an object of members, written only when it has some.
    fn object(&mut self, key: &str, write: impl FnOnce(&mut Members<'_>)) {
        let mark = self.out.len();
        let was_empty = self.empty;
        self.key(key).push(b'{');
        let mut inner = Members {
            out: &mut *self.out,
            empty: true,
        };
        write(&mut inner);
        if inner.empty {
            self.out.truncate(mark);
            self.empty = was_empty;
        } else {
            self.out.push(b'}');
        }
    }

    fn number<N: itoa::Integer + PartialEq>(&mut self, key: &str, old: N, new: N) {
        if old != new {
            number(self.key(key), new);
        }
    }

    fn optional<N: itoa::Integer + PartialEq>(
        &mut self,
        key: &str,
        old: Option<N>,
        new: Option<N>,
    ) {
        if old != new {
            optional(self.key(key), new);
        }
    }

    fn boolean(&mut self, key: &str, old: bool, new: bool) {
        if old != new {
            boolean(self.key(key), new);
        }
    }

    fn spices(&mut self, key: &str, old: &Spices, new: &Spices) {
        if old == new {
            return;
        }
        self.object(key, |m| {
            m.number("yellow", old.yellow, new.yellow);
            m.number("red", old.red, new.red);
            m.number("green", old.green, new.green);
            m.number("brown", old.brown, new.brown);
        });
    }

    /// A list of card ids: as its removals and additions (`{"-":[indexes],"+":[ids]}`) when that
    /// is shorter, else whole.
    fn cards<C: PartialEq + Copy>(
        &mut self,
        key: &str,
        old: &[C],
        new: &[C],
        ascii: fn(C) -> [u8; 3],
    ) {
        if old == new {
            return;
        }
        let out = self.key(key);
        let start = out.len();
        let (removed, kept) = splice(old, new);
        out.push(b'{');
        if !removed.is_empty() {
            out.extend_from_slice(br#""-":["#);
            for (n, index) in removed.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                number(out, *index);
            }
            out.push(b']');
        }
        if kept < new.len() {
            if !removed.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(br#""+":"#);
            card_ids(out, new[kept..].iter().map(|&c| ascii(c)));
        }
        out.push(b'}');
        // The whole list: `[` and `]`, five bytes an id and a comma between two.
        let whole = (new.len() * 6).max(1) + 1;
        if out.len() - start >= whole {
            out.truncate(start);
            card_ids(out, new.iter().map(|&c| ascii(c)));
        }
    }

    /// A card id, as a string.
    fn card(&mut self, key: &str, old: [u8; 3], new: [u8; 3]) {
        if old != new {
            let out = self.key(key);
            out.push(b'"');
            out.extend_from_slice(&new);
            out.push(b'"');
        }
    }

    /// An array of objects: replaced whole when its length changed, else patched by index.
    fn rows<T: PartialEq>(
        &mut self,
        key: &str,
        old: &[T],
        new: &[T],
        whole: fn(&mut Vec<u8>, &T),
        each: fn(&mut Members<'_>, &T, &T),
    ) {
        if old == new {
            return;
        }
        if old.len() != new.len() {
            let out = self.key(key);
            out.push(b'[');
            for (i, item) in new.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                whole(out, item);
            }
            out.push(b']');
            return;
        }
        self.object(key, |m| {
            let mut index = itoa::Buffer::new();
            for (i, (old, new)) in old.iter().zip(new).enumerate() {
                if old != new {
                    m.object(index.format(i), |m| each(m, old, new));
                }
            }
        });
    }

    /// A value replaced whole, as serde_json writes it.
    fn serialized<T: Serialize + PartialEq>(&mut self, key: &str, old: &T, new: &T) {
        if old != new {
            // Writing these types into a Vec cannot fail (string keys only).
            let _ = serde_json::to_writer(&mut *self.key(key), new);
        }
    }
}

/// `new` as `old` with some elements removed and others appended: the indexes removed from `old`
/// (ascending), and how many elements of `new` are `old`'s kept ones (the rest are appended).
/// Any two lists can be written so (at worst every element removed and every one appended).
fn splice<C: PartialEq>(old: &[C], new: &[C]) -> (Vec<usize>, usize) {
    let mut removed = Vec::new();
    let mut kept = 0;
    for (index, item) in old.iter().enumerate() {
        if new.get(kept) == Some(item) {
            kept += 1;
        } else {
            removed.push(index);
        }
    }
    (removed, kept)
}

/// The members of the patch from `old` to `new` that every viewer shares: all but `viewerSeat`
/// and `legal`.
pub fn write_common(m: &mut Members<'_>, old: &GameView, new: &GameView) {
    if old.status != new.status {
        write_status(m.key("status"), new.status);
    }
    m.number("numPlayers", old.num_players, new.num_players);
    if old.rules != new.rules {
        let out = m.key("rules");
        match &new.rules {
            Some(rules) => write_rules(out, rules),
            None => out.extend_from_slice(b"null"),
        }
    }
    m.rows("players", &old.players, &new.players, write_player, player);
    m.rows(
        "merchantRow",
        &old.merchant_row,
        &new.merchant_row,
        write_merchant_slot,
        merchant_slot,
    );
    m.rows(
        "pointRow",
        &old.point_row,
        &new.point_row,
        write_point_slot,
        point_slot,
    );
    m.number("goldLeft", old.gold_left, new.gold_left);
    m.number("silverLeft", old.silver_left, new.silver_left);
    m.number(
        "merchantDeckCount",
        old.merchant_deck_count,
        new.merchant_deck_count,
    );
    m.number("pointDeckCount", old.point_deck_count, new.point_deck_count);
    m.optional("currentSeat", old.current_seat, new.current_seat);
    m.number("round", old.round, new.round);
    m.boolean("endTriggered", old.end_triggered, new.end_triggered);
    m.optional(
        "awaitingDiscard",
        old.awaiting_discard,
        new.awaiting_discard,
    );
    m.optional("winner", old.winner, new.winner);
    if old.turn_deadline != new.turn_deadline {
        write_deadline(m.key("turnDeadline"), new.turn_deadline.as_ref());
    }
}

/// The members of the patch that are the viewer's own: `viewerSeat` and `legal`, when they
/// changed; `legal` hints as protocol 4's array when `packed`.
pub fn write_viewer(m: &mut Members<'_>, old: &ViewerState, new: &ViewerState, packed: bool) {
    m.optional("viewerSeat", old.viewer_seat, new.viewer_seat);
    match &new.legal {
        Some(legal) if packed && old.legal != new.legal => {
            write_packed_legal(m.key("legal"), legal);
        }
        _ => m.serialized("legal", &old.legal, &new.legal),
    }
}

fn player(m: &mut Members<'_>, old: &PlayerView, new: &PlayerView) {
    m.number("seat", old.seat, new.seat);
    if old.player_id != new.player_id {
        string(m.key("playerId"), &new.player_id.0);
    }
    if old.name != new.name {
        string(m.key("name"), &new.name);
    }
    m.boolean("left", old.left, new.left);
    m.spices("caravan", &old.caravan, &new.caravan);
    m.cards("hand", &old.hand, &new.hand, |c| c.ascii());
    m.cards("played", &old.played, &new.played, |c| c.ascii());
    m.cards("claimed", &old.claimed, &new.claimed, |c| c.ascii());
    m.number("gold", old.gold, new.gold);
    m.number("silver", old.silver, new.silver);
    m.number("score", old.score, new.score);
    m.serialized("bot", &old.bot, &new.bot);
    m.number("timeouts", old.timeouts, new.timeouts);
}

fn merchant_slot(m: &mut Members<'_>, old: &MerchantSlotView, new: &MerchantSlotView) {
    m.card("cardId", old.card_id.ascii(), new.card_id.ascii());
    m.spices("cubes", &old.cubes, &new.cubes);
}

fn point_slot(m: &mut Members<'_>, old: &PointSlotView, new: &PointSlotView) {
    m.card("cardId", old.card_id.ascii(), new.card_id.ascii());
    m.number("points", old.points, new.points);
    m.spices("cost", &old.cost, &new.cost);
    m.serialized("coin", &old.coin, &new.coin);
}

mod apply;
pub use apply::apply;

#[cfg(test)]
mod tests;
