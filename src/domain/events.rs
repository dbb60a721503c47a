//! Events: what happened, in the past tense (`CardPlayed`, `ClaimCompleted`).
//!
//! Events are the game's source of truth: the event store keeps them and
//! [`Game::apply`](super::Game::apply) folds them into the state. Each event carries what a
//! client needs to show the change (the card revealed into a row, the coin taken, the cubes paid
//! and gained) and has a stable [`event_type`](Event::event_type) and
//! [`schema_version`](Event::schema_version), so stored events can be upcast when a shape changes.
//!
//! Only `GameCreated` holds hidden information (the seed and the shuffled decks);
//! [`Event::public`] removes it before an event leaves for clients.
//!
//! Wire shape: `{"type":"CardPlayed","data":{"seat":0,"cardId":"M10",…}}`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::cards::{MerchantCardId, PointCardId};
use super::rules::{BotLevel, Coin, PlayerId, Rules, Seat};
use super::spices::{Spice, Spices};

/// The secret part of a game's setup: the seed and both decks in draw order.
///
/// Only the event store ever sees it; clients get `GameCreated` without it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HiddenSetup {
    /// The seed the decks were shuffled from.
    pub seed: u64,
    /// All 43 deck merchant cards, the first drawn first.
    pub merchant_deck: Vec<MerchantCardId>,
    /// All 36 point cards, the first drawn first.
    pub point_deck: Vec<PointCardId>,
}

/// One player's result.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinalScore {
    /// The player's seat.
    pub seat: Seat,
    /// The player's name.
    pub name: String,
    /// Points from claimed point cards.
    pub cards: u16,
    /// Gold coins held (3 points each).
    pub gold: u8,
    /// Silver coins held (1 point each).
    pub silver: u8,
    /// Red, green and brown cubes in the caravan (1 point each).
    pub cubes: u16,
    /// The sum of the above.
    pub total: u16,
    /// The player left a running game and cannot win.
    pub forfeited: bool,
}

/// Why a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum EndReason {
    /// A player claimed enough point cards and the round was completed.
    PointCards,
    /// Every other player left.
    LastPlayerStanding,
    /// The seats did not fill in time: the server closed the waiting game.
    Expired,
}

/// Something that happened in a game.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A game was opened, with its rules and (hidden) shuffled decks.
    #[serde(rename_all = "camelCase")]
    GameCreated {
        /// Seats at the table.
        num_players: u8,
        /// The rules in effect for this game.
        rules: Rules,
        /// Seed and decks; `None` in the public projection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(ignore)]
        hidden: Option<HiddenSetup>,
    },
    /// A player took a seat.
    #[serde(rename_all = "camelCase")]
    PlayerJoined {
        /// The seat taken.
        seat: Seat,
        /// The player's identity.
        player_id: PlayerId,
        /// The name shown.
        name: String,
        /// The seat is a computer player of this level (`None`: a person).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bot: Option<BotLevel>,
    },
    /// A player left the table.
    #[serde(rename_all = "camelCase")]
    PlayerLeft {
        /// The seat left.
        seat: Seat,
        /// The player's identity.
        player_id: PlayerId,
        /// The game was running: the seat is skipped from now on and cannot win.
        forfeited: bool,
    },
    /// The last seat filled: the rows are dealt and seat `first_seat` is to move.
    #[serde(rename_all = "camelCase")]
    GameStarted {
        /// The six face-up merchant cards, slot 0 first.
        merchant_row: Vec<MerchantCardId>,
        /// The five face-up point cards, slot 0 first.
        point_row: Vec<PointCardId>,
        /// Gold coins on point slot 0.
        gold: u8,
        /// Silver coins on point slot 1.
        silver: u8,
        /// Starting caravan of each seat.
        caravans: Vec<Spices>,
        /// The seat that plays first.
        first_seat: Seat,
    },
    /// A merchant card was played from the hand to the played pile.
    #[serde(rename_all = "camelCase")]
    CardPlayed {
        /// The player's seat.
        seat: Seat,
        /// The card played.
        card_id: MerchantCardId,
        /// Cubes that entered the caravan.
        gained: Spices,
        /// Cubes that left the caravan.
        paid: Spices,
        /// Trade repetitions (1 for other cards).
        times: u32,
        /// Upgrade steps, the colour raised at each step (empty for other cards).
        upgrades: Vec<Spice>,
    },
    /// A merchant card was taken from the market row into the hand.
    #[serde(rename_all = "camelCase")]
    ItemAcquired {
        /// The player's seat.
        seat: Seat,
        /// The slot taken.
        slot: u8,
        /// The card taken.
        card_id: MerchantCardId,
        /// The cube placed on slot 0, 1, … `slot - 1`.
        payment: Vec<Spice>,
        /// Cubes that lay on the card and went to the caravan.
        cubes_taken: Spices,
        /// The deck card revealed into the last slot (`None` when the deck is empty).
        revealed: Option<MerchantCardId>,
    },
    /// A player took the played pile back into the hand.
    #[serde(rename_all = "camelCase")]
    PlayerRested {
        /// The player's seat.
        seat: Seat,
        /// The cards returned, in the order they were played.
        returned: Vec<MerchantCardId>,
    },
    /// A point card was claimed.
    #[serde(rename_all = "camelCase")]
    ClaimCompleted {
        /// The player's seat.
        seat: Seat,
        /// The slot claimed.
        slot: u8,
        /// The card claimed.
        card_id: PointCardId,
        /// The card's points.
        points: u16,
        /// Cubes paid (the card's cost).
        paid: Spices,
        /// The coin taken with it, if any.
        coin: Option<Coin>,
        /// The deck card revealed into the last slot (`None` when the deck is empty).
        revealed: Option<PointCardId>,
    },
    /// Cubes went back to the supply to bring the caravan down to capacity.
    #[serde(rename_all = "camelCase")]
    SpicesDiscarded {
        /// The player's seat.
        seat: Seat,
        /// The cubes returned.
        spices: Spices,
    },
    /// The turn clock ran out: the server acts for the seat (a forced move follows).
    #[serde(rename_all = "camelCase")]
    TurnTimedOut {
        /// The seat whose time ran out.
        seat: Seat,
        /// The seat's consecutive timeouts, this one included.
        consecutive: u8,
    },
    /// A turn passed.
    #[serde(rename_all = "camelCase")]
    TurnEnded {
        /// The seat whose turn ended.
        seat: Seat,
        /// The seat to move next.
        next_seat: Seat,
        /// The round `next_seat` plays in (1 = the first round).
        round: u32,
        /// The end has been triggered: the game ends when the round completes.
        end_triggered: bool,
    },
    /// The game ended.
    #[serde(rename_all = "camelCase")]
    GameEnded {
        /// Every seat's result, in seat order.
        scores: Vec<FinalScore>,
        /// The winning seat (`None` only if nobody could win).
        winner: Option<Seat>,
        /// Why the game ended.
        reason: EndReason,
    },
}

impl Event {
    /// Every event type name, as stored and sent.
    pub const TYPES: [&'static str; 12] = [
        "GameCreated",
        "PlayerJoined",
        "PlayerLeft",
        "GameStarted",
        "CardPlayed",
        "ItemAcquired",
        "PlayerRested",
        "ClaimCompleted",
        "SpicesDiscarded",
        "TurnTimedOut",
        "TurnEnded",
        "GameEnded",
    ];

    /// The stable type name (`"CardPlayed"`), the `type` field on the wire.
    pub const fn event_type(&self) -> &'static str {
        match self {
            Event::GameCreated { .. } => "GameCreated",
            Event::PlayerJoined { .. } => "PlayerJoined",
            Event::PlayerLeft { .. } => "PlayerLeft",
            Event::GameStarted { .. } => "GameStarted",
            Event::CardPlayed { .. } => "CardPlayed",
            Event::ItemAcquired { .. } => "ItemAcquired",
            Event::PlayerRested { .. } => "PlayerRested",
            Event::ClaimCompleted { .. } => "ClaimCompleted",
            Event::SpicesDiscarded { .. } => "SpicesDiscarded",
            Event::TurnTimedOut { .. } => "TurnTimedOut",
            Event::TurnEnded { .. } => "TurnEnded",
            Event::GameEnded { .. } => "GameEnded",
        }
    }

    /// The schema version of this event's shape. Every type is at version 1 today; a store that
    /// meets an older version upcasts it before deserialising.
    pub const fn schema_version(&self) -> u16 {
        1
    }

    /// The event as clients may see it: `GameCreated` loses its hidden setup, every other event
    /// is public as it is (and is borrowed, not copied).
    pub fn public(&self) -> Cow<'_, Event> {
        match self {
            Event::GameCreated {
                num_players,
                rules,
                hidden: Some(_),
            } => Cow::Owned(Event::GameCreated {
                num_players: *num_players,
                rules: *rules,
                hidden: None,
            }),
            _ => Cow::Borrowed(self),
        }
    }

    /// The seat an event is about, if it is about one.
    pub fn seat(&self) -> Option<Seat> {
        match self {
            Event::PlayerJoined { seat, .. }
            | Event::PlayerLeft { seat, .. }
            | Event::CardPlayed { seat, .. }
            | Event::ItemAcquired { seat, .. }
            | Event::PlayerRested { seat, .. }
            | Event::ClaimCompleted { seat, .. }
            | Event::SpicesDiscarded { seat, .. }
            | Event::TurnTimedOut { seat, .. }
            | Event::TurnEnded { seat, .. } => Some(*seat),
            Event::GameCreated { .. } | Event::GameStarted { .. } | Event::GameEnded { .. } => None,
        }
    }
}
