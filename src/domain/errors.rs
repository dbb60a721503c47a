//! Rule violations: why a command was refused.
//!
//! One variant per broken rule, each with a stable snake_case [`code`](RuleViolation::code) that
//! the protocol sends to clients, and a human message (`Display`). A violation never changes the
//! game: `decide` returns it instead of events.

use super::cards::MerchantCardId;
use super::rules::Seat;
use super::spices::Spices;

/// A command broke a rule of the game.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// Another seat is to move.
    #[error("it is seat {current}'s turn")]
    NotYourTurn {
        /// The seat whose turn it is.
        current: Seat,
    },
    /// The game is still waiting for players.
    #[error("the game has not started yet")]
    GameNotStarted,
    /// The game has ended.
    #[error("the game is over")]
    GameOver,
    /// Every seat is taken (or the game is already running).
    #[error("the game is full")]
    GameFull,
    /// `CreateGame` on a game that exists.
    #[error("the game has already been created")]
    GameAlreadyCreated,
    /// A command other than `CreateGame` on a game that does not exist.
    #[error("the game has not been created")]
    GameNotCreated,
    /// `CreateGame` with fewer than 2 or more than 5 players.
    #[error("a game needs 2 to 5 players, not {num_players}")]
    InvalidPlayerCount {
        /// The count asked for.
        num_players: u8,
    },
    /// `CreateGame` with rules the game cannot be played with.
    #[error("invalid rules: {reason}")]
    InvalidRules {
        /// What is wrong.
        reason: &'static str,
    },
    /// A scenario names a card twice or a card that cannot be in that deck.
    #[error("invalid scenario: {reason}")]
    InvalidScenario {
        /// What is wrong.
        reason: &'static str,
    },
    /// A player name that is empty, too long or has control characters.
    #[error("invalid name: {reason}")]
    InvalidName {
        /// What is wrong.
        reason: &'static str,
    },
    /// Another seat at this table has the same name (ignoring case).
    #[error("another player at this table already has that name")]
    NameTaken,
    /// The player already sits at this table.
    #[error("the player has already joined")]
    AlreadyJoined,
    /// The actor holds no seat (or has left).
    #[error("not a player of this game")]
    NotAPlayer,
    /// The card is not in the player's hand.
    #[error("card {card} is not in hand")]
    CardNotInHand {
        /// The card asked for.
        card: MerchantCardId,
    },
    /// The caravan lacks the cubes needed.
    #[error("cannot afford {needed}: the caravan holds {have}")]
    CannotAfford {
        /// The cubes needed.
        needed: Spices,
        /// The cubes in the caravan.
        have: Spices,
    },
    /// No card lies at that slot.
    #[error("no card at slot {slot} (the row holds {len})")]
    InvalidSlot {
        /// The slot asked for.
        slot: u8,
        /// The number of cards in the row.
        len: u8,
    },
    /// An acquire payment of the wrong length or with cubes the caravan lacks.
    #[error("invalid payment: {reason}")]
    InvalidPayment {
        /// What is wrong.
        reason: &'static str,
    },
    /// An upgrade with too many steps or a step on a cube that is not there (or is brown).
    #[error("invalid upgrade: {reason}")]
    InvalidUpgrade {
        /// What is wrong.
        reason: &'static str,
    },
    /// A trade repeated 0 times or more often than the caravan affords.
    #[error("cannot trade {times} times (at most {max})")]
    InvalidTimes {
        /// The repetitions asked for.
        times: u32,
        /// The most the caravan affords.
        max: u32,
    },
    /// The caravan is over capacity: only a discard is legal now.
    #[error("discard {owed} cubes first")]
    MustDiscard {
        /// Cubes to return.
        owed: u16,
    },
    /// A discard that does not bring the caravan exactly to capacity, or names cubes not held.
    #[error("invalid discard: {reason}")]
    InvalidDiscard {
        /// What is wrong.
        reason: &'static str,
    },
    /// A discard while the caravan is within capacity.
    #[error("no discard is owed")]
    NoDiscardOwed,
    /// Rest with an empty played pile.
    #[error("nothing to rest: no card has been played")]
    NothingToRest,
    /// A malformed command, such as upgrade steps on a trade card.
    #[error("invalid command: {reason}")]
    InvalidCommand {
        /// What is wrong.
        reason: &'static str,
    },
}

impl RuleViolation {
    /// The stable machine code sent to clients.
    pub const fn code(&self) -> &'static str {
        match self {
            RuleViolation::NotYourTurn { .. } => "not_your_turn",
            RuleViolation::GameNotStarted => "game_not_started",
            RuleViolation::GameOver => "game_over",
            RuleViolation::GameFull => "game_full",
            RuleViolation::GameAlreadyCreated => "game_already_created",
            RuleViolation::GameNotCreated => "game_not_created",
            RuleViolation::InvalidPlayerCount { .. } => "invalid_player_count",
            RuleViolation::InvalidRules { .. } => "invalid_rules",
            RuleViolation::InvalidScenario { .. } => "invalid_scenario",
            RuleViolation::InvalidName { .. } => "invalid_name",
            RuleViolation::NameTaken => "name_taken",
            RuleViolation::AlreadyJoined => "already_joined",
            RuleViolation::NotAPlayer => "not_a_player",
            RuleViolation::CardNotInHand { .. } => "card_not_in_hand",
            RuleViolation::CannotAfford { .. } => "cannot_afford",
            RuleViolation::InvalidSlot { .. } => "invalid_slot",
            RuleViolation::InvalidPayment { .. } => "invalid_payment",
            RuleViolation::InvalidUpgrade { .. } => "invalid_upgrade",
            RuleViolation::InvalidTimes { .. } => "invalid_times",
            RuleViolation::MustDiscard { .. } => "must_discard",
            RuleViolation::InvalidDiscard { .. } => "invalid_discard",
            RuleViolation::NoDiscardOwed => "no_discard_owed",
            RuleViolation::NothingToRest => "nothing_to_rest",
            RuleViolation::InvalidCommand { .. } => "invalid_command",
        }
    }
}
