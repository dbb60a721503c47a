//! Spices: the four cube colours and a multiset of cubes (a caravan, a cost, a gain).
//!
//! Spices are ordered by value, low to high: yellow (turmeric) → red (saffron) → green (cardamom)
//! → brown (cinnamon). An upgrade step moves one cube one level up this ladder. The cube supply is
//! unlimited, so a [`Spices`] value is all the game ever needs to know about cubes: how many of each
//! colour lie in one place.
//!
//! This module is pure arithmetic: it never decides whether a move is legal.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One spice colour, ordered from the least to the most valuable.
///
/// Serialised in lowercase: `"yellow"`, `"red"`, `"green"`, `"brown"`.
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
pub enum Spice {
    /// Turmeric, the cheapest spice (value 1). Scores nothing at the end of the game.
    Yellow,
    /// Saffron (value 2).
    Red,
    /// Cardamom (value 3).
    Green,
    /// Cinnamon, the most valuable spice (value 4). Cannot be upgraded.
    Brown,
}

impl Spice {
    /// The four colours, low to high.
    pub const ALL: [Spice; 4] = [Spice::Yellow, Spice::Red, Spice::Green, Spice::Brown];

    /// The colour one upgrade step above this one; `None` for brown, the top of the ladder.
    pub const fn upgraded(self) -> Option<Spice> {
        match self {
            Spice::Yellow => Some(Spice::Red),
            Spice::Red => Some(Spice::Green),
            Spice::Green => Some(Spice::Brown),
            Spice::Brown => None,
        }
    }

    /// The letter used in card labels: `Y`, `R`, `G` or `B`.
    pub const fn letter(self) -> char {
        match self {
            Spice::Yellow => 'Y',
            Spice::Red => 'R',
            Spice::Green => 'G',
            Spice::Brown => 'B',
        }
    }

    /// The colour's trading value (yellow 1, red 2, green 3, brown 4); the point-card formula uses it.
    pub const fn value(self) -> u16 {
        self.index() as u16 + 1
    }

    /// Position on the ladder: yellow 0 … brown 3.
    pub const fn index(self) -> usize {
        match self {
            Spice::Yellow => 0,
            Spice::Red => 1,
            Spice::Green => 2,
            Spice::Brown => 3,
        }
    }
}

impl fmt::Display for Spice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Spice::Yellow => "yellow",
            Spice::Red => "red",
            Spice::Green => "green",
            Spice::Brown => "brown",
        };
        f.write_str(name)
    }
}

/// A multiset of spice cubes: how many of each colour lie in one place.
///
/// Used for caravans, card costs, gains and payments. Serialised with all four keys,
/// `{"yellow":1,"red":0,"green":0,"brown":0}`; a missing key deserialises as 0, any other key is
/// refused.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(default, deny_unknown_fields)]
pub struct Spices {
    /// Yellow (turmeric) cubes.
    pub yellow: u16,
    /// Red (saffron) cubes.
    pub red: u16,
    /// Green (cardamom) cubes.
    pub green: u16,
    /// Brown (cinnamon) cubes.
    pub brown: u16,
}

impl Spices {
    /// No cubes at all.
    pub const EMPTY: Spices = Spices::new(0, 0, 0, 0);

    /// Cubes by colour: yellow, red, green, brown.
    pub const fn new(yellow: u16, red: u16, green: u16, brown: u16) -> Spices {
        Spices {
            yellow,
            red,
            green,
            brown,
        }
    }

    /// `n` cubes of one colour.
    pub fn of(spice: Spice, n: u16) -> Spices {
        let mut s = Spices::EMPTY;
        *s.slot(spice) = n;
        s
    }

    /// The multiset holding exactly the listed cubes.
    pub fn from_list(list: &[Spice]) -> Spices {
        let mut s = Spices::EMPTY;
        for &spice in list {
            *s.slot(spice) += 1;
        }
        s
    }

    /// The cubes as a list, lowest colour first (`YYRG`).
    pub fn to_list(&self) -> Vec<Spice> {
        let mut list = Vec::with_capacity(usize::from(self.total()));
        for spice in Spice::ALL {
            list.extend(std::iter::repeat_n(spice, usize::from(self.get(spice))));
        }
        list
    }

    /// The number of cubes of all colours.
    pub const fn total(&self) -> u16 {
        self.yellow + self.red + self.green + self.brown
    }

    /// Whether there are no cubes.
    pub const fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The number of cubes of one colour.
    pub const fn get(&self, spice: Spice) -> u16 {
        match spice {
            Spice::Yellow => self.yellow,
            Spice::Red => self.red,
            Spice::Green => self.green,
            Spice::Brown => self.brown,
        }
    }

    fn slot(&mut self, spice: Spice) -> &mut u16 {
        match spice {
            Spice::Yellow => &mut self.yellow,
            Spice::Red => &mut self.red,
            Spice::Green => &mut self.green,
            Spice::Brown => &mut self.brown,
        }
    }

    /// The union of two multisets (saturating at `u16::MAX`, far beyond any real caravan).
    #[must_use]
    pub const fn add(&self, other: &Spices) -> Spices {
        Spices::new(
            self.yellow.saturating_add(other.yellow),
            self.red.saturating_add(other.red),
            self.green.saturating_add(other.green),
            self.brown.saturating_add(other.brown),
        )
    }

    /// These cubes with `other` taken away, or `None` when a colour would go negative.
    #[must_use]
    pub const fn checked_sub(&self, other: &Spices) -> Option<Spices> {
        if self.contains(other) {
            Some(Spices::new(
                self.yellow - other.yellow,
                self.red - other.red,
                self.green - other.green,
                self.brown - other.brown,
            ))
        } else {
            None
        }
    }

    /// These cubes with `other` taken away, each colour floored at zero.
    #[must_use]
    pub const fn saturating_sub(&self, other: &Spices) -> Spices {
        Spices::new(
            self.yellow.saturating_sub(other.yellow),
            self.red.saturating_sub(other.red),
            self.green.saturating_sub(other.green),
            self.brown.saturating_sub(other.brown),
        )
    }

    /// Every colour multiplied by `times` (saturating).
    #[must_use]
    pub fn times(&self, times: u32) -> Spices {
        let t = u16::try_from(times).unwrap_or(u16::MAX);
        Spices::new(
            self.yellow.saturating_mul(t),
            self.red.saturating_mul(t),
            self.green.saturating_mul(t),
            self.brown.saturating_mul(t),
        )
    }

    /// Whether every cube of `other` is present here (`other` ⊆ `self`).
    pub const fn contains(&self, other: &Spices) -> bool {
        self.yellow >= other.yellow
            && self.red >= other.red
            && self.green >= other.green
            && self.brown >= other.brown
    }

    /// How many whole copies of `other` fit into these cubes (`None` when `other` is empty).
    pub fn fits(&self, other: &Spices) -> Option<u32> {
        Spice::ALL
            .iter()
            .filter(|&&s| other.get(s) > 0)
            .map(|&s| u32::from(self.get(s) / other.get(s)))
            .min()
    }

    /// Adds one cube.
    pub fn add_one(&mut self, spice: Spice) {
        *self.slot(spice) += 1;
    }

    /// Removes one cube; returns `false` (and changes nothing) when there is none of that colour.
    pub fn remove_one(&mut self, spice: Spice) -> bool {
        let slot = self.slot(spice);
        if *slot == 0 {
            false
        } else {
            *slot -= 1;
            true
        }
    }

    /// End-of-game value of these cubes: one point per red, green or brown cube; yellow scores 0.
    pub const fn score_value(&self) -> u16 {
        self.red + self.green + self.brown
    }

    /// Sum of the colour values (yellow 1 … brown 4), as used by the point-card formula.
    pub const fn weighted_value(&self) -> u16 {
        self.yellow + 2 * self.red + 3 * self.green + 4 * self.brown
    }

    /// How many different colours are present.
    pub fn colours(&self) -> usize {
        Spice::ALL.iter().filter(|&&s| self.get(s) > 0).count()
    }
}

impl fmt::Display for Spices {
    /// Card-label notation, lowest colour first: `YYRG`; `-` for no cubes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("-");
        }
        for spice in Spice::ALL {
            for _ in 0..self.get(spice) {
                write!(f, "{}", spice.letter())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_runs_yellow_red_green_brown_and_stops_at_brown() {
        assert_eq!(Spice::Yellow.upgraded(), Some(Spice::Red));
        assert_eq!(Spice::Red.upgraded(), Some(Spice::Green));
        assert_eq!(Spice::Green.upgraded(), Some(Spice::Brown));
        assert_eq!(Spice::Brown.upgraded(), None);
        assert!(Spice::Yellow < Spice::Brown);
    }

    #[test]
    fn subtraction_refuses_to_go_negative() {
        let caravan = Spices::new(3, 1, 0, 0);
        assert_eq!(
            caravan.checked_sub(&Spices::new(2, 1, 0, 0)),
            Some(Spices::new(1, 0, 0, 0))
        );
        assert_eq!(caravan.checked_sub(&Spices::new(0, 0, 1, 0)), None);
    }

    #[test]
    fn fits_counts_whole_copies() {
        assert_eq!(
            Spices::new(6, 0, 0, 0).fits(&Spices::new(2, 0, 0, 0)),
            Some(3)
        );
        assert_eq!(
            Spices::new(7, 1, 0, 0).fits(&Spices::new(2, 1, 0, 0)),
            Some(1)
        );
        assert_eq!(
            Spices::new(1, 0, 0, 0).fits(&Spices::new(0, 1, 0, 0)),
            Some(0)
        );
        assert_eq!(Spices::new(1, 0, 0, 0).fits(&Spices::EMPTY), None);
    }

    #[test]
    fn lists_and_labels_round_trip() {
        let list = [Spice::Red, Spice::Yellow, Spice::Brown, Spice::Yellow];
        let s = Spices::from_list(&list);
        assert_eq!(s, Spices::new(2, 1, 0, 1));
        assert_eq!(
            s.to_list(),
            vec![Spice::Yellow, Spice::Yellow, Spice::Red, Spice::Brown]
        );
        assert_eq!(s.to_string(), "YYRB");
        assert_eq!(s.score_value(), 2);
    }
}
