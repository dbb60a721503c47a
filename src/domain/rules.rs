//! The rules in effect for one game, and the small identities the rules talk about.
//!
//! A game records its [`Rules`] in `GameCreated`, so replaying an old game never depends on
//! today's defaults. The fixed facts of the board game (row sizes, starting caravans, coin values)
//! are constants here.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::spices::Spices;

/// A seat at the table, 0-based. Seat 0 plays first; turns go 0, 1, … n-1, 0, …
pub type Seat = u8;

/// The fewest players a game can have.
pub const MIN_PLAYERS: u8 = 2;
/// The most players a game can have.
pub const MAX_PLAYERS: u8 = 5;
/// The caravan capacity of the board game.
pub const DEFAULT_CARAVAN_CAPACITY: u16 = 10;
/// The smallest caravan capacity a game may choose: the largest starting caravan must fit.
pub const MIN_CARAVAN_CAPACITY: u16 = 4;
/// The largest caravan capacity a game may choose.
pub const MAX_CARAVAN_CAPACITY: u16 = 100;
/// The shortest turn a clocked game may set, in seconds.
pub const MIN_TURN_SECONDS: u32 = 10;
/// The longest turn a clocked game may set, in seconds (one day).
pub const MAX_TURN_SECONDS: u32 = 86_400;
/// Consecutive timeouts after which a seat forfeits, when the game does not say.
pub const DEFAULT_TIMEOUTS_TO_FORFEIT: u8 = 3;
/// The largest number of consecutive timeouts a game may allow before the forfeit.
pub const MAX_TIMEOUTS_TO_FORFEIT: u8 = 10;
/// Points of a gold coin.
pub const GOLD_POINTS: u16 = 3;
/// Points of a silver coin.
pub const SILVER_POINTS: u16 = 1;

/// The caravan each seat starts with: seat 0 YYY, seats 1–2 YYYY, seats 3–4 YYYR.
pub const STARTING_CARAVANS: [Spices; MAX_PLAYERS as usize] = [
    Spices::new(3, 0, 0, 0),
    Spices::new(4, 0, 0, 0),
    Spices::new(4, 0, 0, 0),
    Spices::new(3, 1, 0, 0),
    Spices::new(3, 1, 0, 0),
];

/// An opaque player identity chosen by the caller (for example a UUID). Serialised as a string.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct PlayerId(pub String);

impl PlayerId {
    /// Wraps an identity.
    pub fn new(id: impl Into<String>) -> PlayerId {
        PlayerId(id.into())
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PlayerId {
    fn from(s: &str) -> PlayerId {
        PlayerId(s.to_owned())
    }
}

/// How a computer player chooses its moves.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BotLevel {
    /// A random legal move, but it claims a point card whenever it can pay for one.
    Easy,
    /// The legal move whose immediate result rates best (one ply): its points, then how near its
    /// cubes are to the nearest point card.
    Greedy,
    /// Plans its next turns toward the point cards it can reach soonest.
    Strong,
}

impl BotLevel {
    /// Every level, weakest first.
    pub const ALL: [BotLevel; 3] = [BotLevel::Easy, BotLevel::Greedy, BotLevel::Strong];

    /// The level's name on the wire (`"strong"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            BotLevel::Easy => "easy",
            BotLevel::Greedy => "greedy",
            BotLevel::Strong => "strong",
        }
    }
}

impl fmt::Display for BotLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BotLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<BotLevel, String> {
        BotLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown bot level {s:?} (easy, greedy or strong)"))
    }
}

/// A coin lying on the point row: gold (3 points) or silver (1 point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Coin {
    /// 3 points; 2 × players of them start on point slot 0.
    Gold,
    /// 1 point; 2 × players of them start on point slot 1.
    Silver,
}

impl Coin {
    /// The coin's points.
    pub const fn points(self) -> u16 {
        match self {
            Coin::Gold => GOLD_POINTS,
            Coin::Silver => SILVER_POINTS,
        }
    }
}

/// The rules in effect for one game, recorded in `GameCreated`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// Cubes a caravan may hold when a turn passes (10 in the board game).
    pub caravan_capacity: u16,
    /// Point cards one player must claim to trigger the end (6 for 2–3 players, 5 for 4–5).
    pub point_cards_to_end: u8,
    /// Seats at the table, 2–5.
    pub num_players: u8,
    /// Seconds each turn may last before the server acts for the seat; `None`: no turn clock.
    /// Absent in games recorded before the clock existed, which have none.
    #[serde(default)]
    pub turn_seconds: Option<u32>,
    /// Consecutive timeouts of one seat after which it forfeits (only with a turn clock).
    #[serde(default = "default_timeouts_to_forfeit")]
    pub timeouts_to_forfeit: u8,
}

fn default_timeouts_to_forfeit() -> u8 {
    DEFAULT_TIMEOUTS_TO_FORFEIT
}

/// A turn clock chosen at creation: recorded in the game's [`Rules`], never changed afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnClock {
    /// Seconds per turn, [`MIN_TURN_SECONDS`]–[`MAX_TURN_SECONDS`].
    pub turn_seconds: u32,
    /// Consecutive timeouts before the forfeit, 1–[`MAX_TIMEOUTS_TO_FORFEIT`].
    pub timeouts_to_forfeit: u8,
}

impl Rules {
    /// The rules for `num_players`, with the board game's defaults where `None` is given.
    pub fn new(
        num_players: u8,
        caravan_capacity: Option<u16>,
        point_cards_to_end: Option<u8>,
    ) -> Rules {
        Rules {
            caravan_capacity: caravan_capacity.unwrap_or(DEFAULT_CARAVAN_CAPACITY),
            point_cards_to_end: point_cards_to_end.unwrap_or(if num_players <= 3 { 6 } else { 5 }),
            num_players,
            turn_seconds: None,
            timeouts_to_forfeit: DEFAULT_TIMEOUTS_TO_FORFEIT,
        }
    }

    /// The same rules with a turn clock (or none).
    pub fn with_clock(mut self, clock: Option<TurnClock>) -> Rules {
        if let Some(clock) = clock {
            self.turn_seconds = Some(clock.turn_seconds);
            self.timeouts_to_forfeit = clock.timeouts_to_forfeit;
        }
        self
    }

    /// Gold coins (and, equally, silver coins) at the start: 2 × players.
    pub const fn coins_per_kind(&self) -> u8 {
        2 * self.num_players
    }
}
