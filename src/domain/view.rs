//! What one viewer may see of a game: everything but the hidden information.
//!
//! The order of both decks and the seed never appear here; only the number of cards left in each
//! deck. The seat whose turn it is also gets [`LegalHints`], so that no client re-implements a
//! rule to grey out a button.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cards::{point, CardKind, MerchantCardId, PointCardId};
use super::game::{Game, GameStatus};
use super::rules::{BotLevel, Coin, PlayerId, Rules, Seat};
use super::spices::Spices;

/// Who is looking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "seat", rename_all = "camelCase")]
pub enum Viewer {
    /// The player at this seat.
    Seat(Seat),
    /// Someone without a seat.
    Spectator,
}

/// A game as one viewer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GameView {
    /// Where the game is in its life.
    pub status: GameStatus,
    /// Seats at the table (0 before creation).
    pub num_players: u8,
    /// The rules in effect (absent before creation).
    pub rules: Option<Rules>,
    /// The seated players, in seat order.
    pub players: Vec<PlayerView>,
    /// The face-up merchant cards, slot 0 first.
    pub merchant_row: Vec<MerchantSlotView>,
    /// The face-up point cards, slot 0 first.
    pub point_row: Vec<PointSlotView>,
    /// Gold coins left.
    pub gold_left: u8,
    /// Silver coins left.
    pub silver_left: u8,
    /// Merchant cards left in the deck.
    pub merchant_deck_count: u16,
    /// Point cards left in the deck.
    pub point_deck_count: u16,
    /// The seat to move, while the game runs.
    pub current_seat: Option<Seat>,
    /// The current round (1 = first; 0 before the start).
    pub round: u32,
    /// The game ends when this round completes.
    pub end_triggered: bool,
    /// `null`, or the number of cubes the seat to move (`currentSeat`) must discard before its turn
    /// passes.
    pub awaiting_discard: Option<u16>,
    /// The winner, once the game has ended.
    pub winner: Option<Seat>,
    /// When the running turn's clock runs out (RFC 3339); `null` without a clock.
    pub turn_deadline: Option<DateTime<Utc>>,
    /// The viewer's own seat; `null` for a spectator.
    pub viewer_seat: Option<Seat>,
    /// What the viewer may do now: an object on the viewer's turn in a running game, else `null`
    /// (always present).
    pub legal: Option<LegalHints>,
}

/// A player as everyone sees them (hands are public in this game).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayerView {
    /// The seat.
    pub seat: Seat,
    /// The player's identity.
    pub player_id: PlayerId,
    /// The name shown.
    pub name: String,
    /// The player forfeited.
    pub left: bool,
    /// Cubes in the caravan.
    pub caravan: Spices,
    /// Cards ready to play.
    pub hand: Vec<MerchantCardId>,
    /// Cards played since the last rest.
    pub played: Vec<MerchantCardId>,
    /// Point cards claimed.
    pub claimed: Vec<PointCardId>,
    /// Gold coins.
    pub gold: u8,
    /// Silver coins.
    pub silver: u8,
    /// Running score.
    pub score: u16,
    /// A computer player of this level holds the seat (`null`: a person).
    pub bot: Option<BotLevel>,
    /// Turns of its own in a row the seat let the clock run out on.
    pub timeouts: u8,
}

/// A face-up merchant card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MerchantSlotView {
    /// The card.
    pub card_id: MerchantCardId,
    /// Cubes lying on it.
    pub cubes: Spices,
}

/// A face-up point card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointSlotView {
    /// The card.
    pub card_id: PointCardId,
    /// Its points.
    pub points: u16,
    /// Its cost.
    pub cost: Spices,
    /// The coin claiming this slot would take now.
    pub coin: Option<Coin>,
}

/// What the seat to move may do now. Computed by the rules, so clients need not know them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegalHints {
    /// Cards in hand that can be played now.
    pub playable: Vec<PlayableHint>,
    /// Market slots the caravan can pay for.
    pub acquirable: Vec<u8>,
    /// Point-row slots the caravan can pay for.
    pub claimable: Vec<u8>,
    /// Whether rest is possible (something has been played).
    pub can_rest: bool,
    /// `null`, or the number of cubes to discard before anything else (the caravan is over
    /// capacity); while it is a number the other hints are empty.
    pub discard_owed: Option<u16>,
}

/// A playable card and how it may be played.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayableHint {
    /// The card.
    pub card_id: MerchantCardId,
    /// Spice, upgrade or trade.
    pub kind: CardKind,
    /// Trade cards: the largest `times` the caravan affords.
    pub max_times: Option<u32>,
    /// Upgrade cards: the most steps allowed.
    pub upgrade_steps: Option<u8>,
}

impl Game {
    /// What of a view is the viewer's own: their seat (when seated at this game) and, on their
    /// turn, what they may do. The rest of a view is the same for every viewer.
    pub fn viewer_part(&self, viewer: Viewer) -> (Option<Seat>, Option<LegalHints>) {
        let viewer_seat = match viewer {
            Viewer::Seat(seat) => self.player(seat).map(|p| p.seat),
            Viewer::Spectator => None,
        };
        let legal = match (viewer_seat, self.current_seat()) {
            (Some(v), Some(c)) if v == c => self.legal_hints(v),
            _ => None,
        };
        (viewer_seat, legal)
    }

    /// The game as `viewer` may see it: no deck order, no seed; legal-action hints for the seat
    /// whose turn it is.
    pub fn view(&self, viewer: Viewer) -> GameView {
        let (viewer_seat, legal) = self.viewer_part(viewer);
        let current_seat = self.current_seat();
        GameView {
            status: self.status(),
            num_players: self.num_players(),
            rules: self.rules().copied(),
            players: self
                .players()
                .iter()
                .zip(self.scores())
                .map(|(p, score)| PlayerView {
                    seat: p.seat,
                    player_id: p.player_id.clone(),
                    name: p.name.clone(),
                    left: p.left,
                    caravan: p.caravan,
                    hand: p.hand.clone(),
                    played: p.played.clone(),
                    claimed: p.claimed.clone(),
                    gold: p.gold,
                    silver: p.silver,
                    score: score.total,
                    bot: p.bot,
                    timeouts: p.timeouts,
                })
                .collect(),
            merchant_row: self
                .merchant_row()
                .iter()
                .map(|s| MerchantSlotView {
                    card_id: s.card,
                    cubes: s.cubes,
                })
                .collect(),
            point_row: self
                .point_row()
                .iter()
                .enumerate()
                .map(|(slot, &id)| {
                    let card = point(id);
                    PointSlotView {
                        card_id: id,
                        points: card.points,
                        cost: card.cost,
                        coin: self.coin_at(slot),
                    }
                })
                .collect(),
            gold_left: self.gold_left(),
            silver_left: self.silver_left(),
            merchant_deck_count: self.merchant_deck_count() as u16,
            point_deck_count: self.point_deck_count() as u16,
            current_seat,
            round: self.round(),
            end_triggered: self.end_triggered(),
            awaiting_discard: self.awaiting_discard(),
            winner: self.winner(),
            turn_deadline: self.turn_deadline(),
            viewer_seat,
            legal,
        }
    }
}
