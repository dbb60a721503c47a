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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// A coin lying on the point row: gold (3 points) or silver (1 point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// Cubes a caravan may hold when a turn passes (10 in the board game).
    pub caravan_capacity: u16,
    /// Point cards one player must claim to trigger the end (6 for 2–3 players, 5 for 4–5).
    pub point_cards_to_end: u8,
    /// Seats at the table, 2–5.
    pub num_players: u8,
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
        }
    }

    /// Gold coins (and, equally, silver coins) at the start: 2 × players.
    pub const fn coins_per_kind(&self) -> u8 {
        2 * self.num_players
    }
}
