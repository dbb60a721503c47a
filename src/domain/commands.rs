//! Commands: what someone asks the game to do, in the imperative (`PlayCard`, `Claim`).
//!
//! A command is only a request. [`Game::decide`](super::Game::decide) checks it against every rule
//! and answers with events or a [`RuleViolation`](super::RuleViolation). The serde shape is the
//! protocol's `command` object: `{"type":"playCard","cardId":"M10","times":2}`.

use serde::{Deserialize, Serialize};

use super::cards::{MerchantCardId, PointCardId};
use super::rules::{BotLevel, PlayerId, Seat, TurnClock};
use super::spices::{Spice, Spices};

/// Who sends a command.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "camelCase")]
pub enum Actor {
    /// The server itself (creating a game, for instance).
    System,
    /// An authenticated player.
    Player(PlayerId),
}

/// Fixes the first cards of each deck, in order, for tutorials, puzzles and tests; the cards not
/// named are shuffled from the seed and follow them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Scenario {
    /// The first merchant cards drawn (M01–M43 only; the first six form the market row).
    pub merchant_deck: Vec<MerchantCardId>,
    /// The first point cards drawn (the first five form the point row).
    pub point_deck: Vec<PointCardId>,
}

fn one() -> u32 {
    1
}

/// A request to the game. Unknown fields are refused (of the commands with fields; the
/// adapters refuse them for the others too).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Command {
    /// Opens a game for `num_players` seats. All randomness comes from `seed`.
    #[serde(rename_all = "camelCase")]
    CreateGame {
        /// Seats, 2–5.
        num_players: u8,
        /// Seed of the deck shuffles (chosen by the server when the client gives none).
        seed: u64,
        /// Optional fixed start of the decks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scenario: Option<Scenario>,
        /// Caravan capacity; 10 when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caravan_capacity: Option<u16>,
        /// Point cards that trigger the end; 6 (2–3 players) or 5 (4–5) when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        point_cards_to_end: Option<u8>,
        /// A turn clock; none when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_clock: Option<TurnClock>,
    },
    /// Takes the lowest free seat. The join that fills the last seat starts the game.
    #[serde(rename_all = "camelCase")]
    Join {
        /// The joining player's identity.
        player_id: PlayerId,
        /// The name shown to others (1–32 characters, no control characters).
        name: String,
    },
    /// Seats a computer player in the lowest free seat (the server only). Like a join, the one
    /// that fills the last seat starts the game.
    #[serde(rename_all = "camelCase")]
    AddBot {
        /// The identity the computer player acts under.
        player_id: PlayerId,
        /// The name shown.
        name: String,
        /// How it plays.
        level: BotLevel,
    },
    /// The turn clock of `seat` ran out (the server only): the forced move of the rules.
    #[serde(rename_all = "camelCase")]
    TimeOut {
        /// The seat whose turn it must be.
        seat: Seat,
    },
    /// Leaves the table: frees the seat before the start, forfeits once the game runs.
    Leave,
    /// Plays a merchant card from the hand.
    #[serde(rename_all = "camelCase")]
    PlayCard {
        /// The card to play.
        card_id: MerchantCardId,
        /// Upgrade cards only: the colour of the cube raised at each step, in order
        /// (`[yellow, red]` raises one yellow to red, then a red to green). May be empty.
        #[serde(default)]
        upgrades: Vec<Spice>,
        /// Trade cards only: how many times to trade (≥ 1). Must be 1 for other cards.
        #[serde(default = "one")]
        times: u32,
    },
    /// Takes the merchant card at `slot`, placing one cube on each card to its left.
    #[serde(rename_all = "camelCase")]
    Acquire {
        /// Market slot, 0 = leftmost.
        slot: u8,
        /// The cube placed on slot 0, 1, … `slot - 1`, in that order (exactly `slot` cubes).
        #[serde(default)]
        payment: Vec<Spice>,
    },
    /// Takes every played card back into the hand.
    Rest,
    /// Pays the exact cost of the point card at `slot` and takes it (with a coin on slots 0–1).
    #[serde(rename_all = "camelCase")]
    Claim {
        /// Point-row slot, 0 = leftmost.
        slot: u8,
    },
    /// Returns cubes to the supply when the caravan is over capacity at the end of the turn.
    #[serde(rename_all = "camelCase")]
    Discard {
        /// The cubes returned: exactly the excess.
        spices: Spices,
    },
    /// Closes a game whose seats did not fill in time. Only the server sends it, and only to a
    /// waiting game; the game ends with reason `expired`, without a winner.
    Expire,
}

impl Command {
    /// The command's type name as on the wire (`"playCard"`), for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::CreateGame { .. } => "createGame",
            Command::Join { .. } => "join",
            Command::AddBot { .. } => "addBot",
            Command::TimeOut { .. } => "timeOut",
            Command::Leave => "leave",
            Command::PlayCard { .. } => "playCard",
            Command::Acquire { .. } => "acquire",
            Command::Rest => "rest",
            Command::Claim { .. } => "claim",
            Command::Discard { .. } => "discard",
            Command::Expire => "expire",
        }
    }

    /// Whether this is one of the turn actions (play, acquire, rest, claim, discard).
    pub fn is_turn_action(&self) -> bool {
        matches!(
            self,
            Command::PlayCard { .. }
                | Command::Acquire { .. }
                | Command::Rest
                | Command::Claim { .. }
                | Command::Discard { .. }
        )
    }
}
