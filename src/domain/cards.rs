//! The card catalogue: every merchant card and point card of Century: Spice Road, with its id.
//!
//! The data is the exact list of `cards.json` (kept beside this file): two starting merchant cards
//! (S01 "+YY", S02 "upgrade x2"), 43 deck merchant cards (M01–M43: 8 spice cards, 1 upgrade card,
//! 34 trade cards) and 36 point cards (P01–P36). Every point card is worth
//! `Y + 2R + 3G + 4B`, plus 1 when its cost shows three colours and 2 when it shows four.
//!
//! Ids are compact indexes into static tables; on the wire they are the catalogue strings
//! (`"S01"`, `"M17"`, `"P36"`). Parsing an unknown id fails, so a client cannot name a card that
//! does not exist. This module only describes cards; which card lies where is the game's business.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::spices::Spices;

/// Number of merchant cards in the shuffled deck (M01–M43).
pub const DECK_MERCHANT_CARDS: usize = 43;
/// Number of point cards (P01–P36).
pub const POINT_CARDS: usize = 36;
/// Face-up merchant cards in the market row.
pub const MERCHANT_ROW_SIZE: usize = 6;
/// Face-up point cards in the point row.
pub const POINT_ROW_SIZE: usize = 5;

/// Identifies a merchant card: `S01`, `S02` (starting cards) or `M01`–`M43` (deck cards).
///
/// The inner index is private so that every value names a real card; build one with
/// [`FromStr`], [`MerchantCardId::CREATE_2`], [`MerchantCardId::UPGRADE_2`] or [`deck_merchant_ids`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerchantCardId(u8);

/// Identifies a point card, `P01`–`P36`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PointCardId(u8);

impl MerchantCardId {
    /// S01, the "+YY" starting card every player holds.
    pub const CREATE_2: MerchantCardId = MerchantCardId(0);
    /// S02, the "upgrade x2" starting card every player holds.
    pub const UPGRADE_2: MerchantCardId = MerchantCardId(1);

    /// Position in the catalogue table (0 = S01, 1 = S02, 2 = M01, … 44 = M43).
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The id at a catalogue position, if there is such a card.
    pub fn from_index(index: usize) -> Option<MerchantCardId> {
        (index < MERCHANT_TABLE.len()).then_some(MerchantCardId(index as u8))
    }

    /// Whether this is one of the two starting cards (never in the deck).
    pub const fn is_starting(self) -> bool {
        self.0 < 2
    }

    /// The card this id names.
    pub fn card(self) -> &'static MerchantCard {
        merchant(self)
    }
}

impl PointCardId {
    /// Position in the catalogue table (0 = P01 … 35 = P36).
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The id at a catalogue position, if there is such a card.
    pub fn from_index(index: usize) -> Option<PointCardId> {
        (index < POINT_CARDS).then_some(PointCardId(index as u8))
    }

    /// The card this id names.
    pub fn card(self) -> &'static PointCard {
        point(self)
    }
}

/// An id's text: `prefix` and two digits, such as `M07`. Ids are written in every event and view,
/// so they are built here directly rather than through the formatting machinery.
fn id_ascii(prefix: u8, number: u8) -> [u8; 3] {
    [prefix, b'0' + number / 10 % 10, b'0' + number % 10]
}

impl MerchantCardId {
    /// The id's three ASCII bytes, as written on the wire (`S01`, `M07`).
    pub fn ascii(self) -> [u8; 3] {
        if self.is_starting() {
            id_ascii(b'S', self.0 + 1)
        } else {
            id_ascii(b'M', self.0 - 1)
        }
    }
}

impl PointCardId {
    /// The id's three ASCII bytes, as written on the wire (`P12`).
    pub fn ascii(self) -> [u8; 3] {
        id_ascii(b'P', self.0 + 1)
    }
}

impl fmt::Display for MerchantCardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.ascii()).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Display for PointCardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.ascii()).map_err(|_| fmt::Error)?)
    }
}

/// A card id string that names no card of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown card id {0:?}")]
pub struct UnknownCardId(pub String);

/// Parses `X` followed by exactly two digits, returning the number when `prefix` matches.
fn parse_id(s: &str, prefix: u8) -> Option<u8> {
    let b = s.as_bytes();
    if b.len() != 3 || b[0] != prefix || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    Some((b[1] - b'0') * 10 + (b[2] - b'0'))
}

impl FromStr for MerchantCardId {
    type Err = UnknownCardId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = match (parse_id(s, b'S'), parse_id(s, b'M')) {
            (Some(n @ 1..=2), _) => Some(n - 1),
            (_, Some(n)) if (1..=DECK_MERCHANT_CARDS as u8).contains(&n) => Some(n + 1),
            _ => None,
        };
        id.map(MerchantCardId)
            .ok_or_else(|| UnknownCardId(s.to_owned()))
    }
}

impl FromStr for PointCardId {
    type Err = UnknownCardId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_id(s, b'P') {
            Some(n) if (1..=POINT_CARDS as u8).contains(&n) => Ok(PointCardId(n - 1)),
            _ => Err(UnknownCardId(s.to_owned())),
        }
    }
}

macro_rules! id_serde {
    ($ty:ty, $what:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let ascii = self.ascii();
                let text = std::str::from_utf8(&ascii).map_err(serde::ser::Error::custom)?;
                serializer.serialize_str(text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

id_serde!(MerchantCardId, "a merchant card id such as \"M07\"");
id_serde!(PointCardId, "a point card id such as \"P12\"");

/// The JSON Schema of a card id: a string of the form the id's `Display` writes.
macro_rules! id_schema {
    ($ty:ty, $name:literal, $pattern:literal, $description:literal) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}

id_schema!(
    MerchantCardId,
    "MerchantCardId",
    "^(S0[12]|M(0[1-9]|[1-3][0-9]|4[0-3]))$",
    "A merchant card: S01, S02 (starting cards) or M01–M43 (the deck)."
);
id_schema!(
    PointCardId,
    "PointCardId",
    "^P(0[1-9]|[12][0-9]|3[0-6])$",
    "A point card, P01–P36."
);

/// What a merchant card does when played. Serialised with a `kind` tag
/// (`"spice"`, `"upgrade"`, `"trade"`) beside the card's other fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MerchantKind {
    /// Gain the cubes shown.
    Spice {
        /// Cubes taken from the supply.
        gain: Spices,
    },
    /// Up to `steps` single-level upgrades (Y→R, R→G, G→B), on the same or different cubes.
    Upgrade {
        /// The most steps one play allows (2 for S02, 3 for M09).
        steps: u8,
    },
    /// Pay `input`, gain `output`, repeated any number of times while affordable.
    Trade {
        /// Cubes paid per repetition.
        input: Spices,
        /// Cubes gained per repetition.
        output: Spices,
    },
}

/// The three kinds of merchant card, without their numbers (for hints and filters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CardKind {
    /// A card that gives cubes.
    Spice,
    /// A card that upgrades cubes.
    Upgrade,
    /// A card that exchanges cubes.
    Trade,
}

impl MerchantKind {
    /// The kind without its numbers.
    pub const fn kind(&self) -> CardKind {
        match self {
            MerchantKind::Spice { .. } => CardKind::Spice,
            MerchantKind::Upgrade { .. } => CardKind::Upgrade,
            MerchantKind::Trade { .. } => CardKind::Trade,
        }
    }
}

/// A merchant card of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MerchantCard {
    /// The card's id (`cardId`, as everywhere in the protocol).
    #[serde(rename = "cardId")]
    pub id: MerchantCardId,
    /// What it does.
    #[serde(flatten)]
    pub kind: MerchantKind,
    /// The label printed in the catalogue, e.g. `"YY->G"` or `"+YR"`.
    pub label: &'static str,
}

/// A point card of the catalogue: pay exactly `cost` to claim `points`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PointCard {
    /// The card's id (`cardId`, as everywhere in the protocol).
    #[serde(rename = "cardId")]
    pub id: PointCardId,
    /// The cubes paid to claim it.
    pub cost: Spices,
    /// The points it scores.
    pub points: u16,
    /// The cost in letters, e.g. `"YYRB"`.
    pub label: &'static str,
}

/// The card with this id.
pub fn merchant(id: MerchantCardId) -> &'static MerchantCard {
    // index: MerchantCardId values are only built for existing table positions.
    &MERCHANT_TABLE[id.index()]
}

/// The point card with this id.
pub fn point(id: PointCardId) -> &'static PointCard {
    // index: PointCardId values are only built for existing table positions.
    &POINT_TABLE[id.index()]
}

/// The 43 merchant cards that are shuffled into the deck, M01–M43 in catalogue order.
pub fn deck_merchant_ids() -> impl ExactSizeIterator<Item = MerchantCardId> + Clone {
    (2..MERCHANT_TABLE.len() as u8).map(MerchantCardId)
}

/// The 36 point cards, P01–P36 in catalogue order.
pub fn point_ids() -> impl ExactSizeIterator<Item = PointCardId> + Clone {
    (0..POINT_CARDS as u8).map(PointCardId)
}

/// The whole catalogue, as served to clients (e.g. `GET /api/cards`).
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    /// S01 and S02, one of each in every player's starting hand.
    #[schema(value_type = Vec<MerchantCard>)]
    pub starting_cards: &'static [MerchantCard],
    /// M01–M43, the merchant deck.
    #[schema(value_type = Vec<MerchantCard>)]
    pub merchant_cards: &'static [MerchantCard],
    /// P01–P36, the point deck.
    #[schema(value_type = Vec<PointCard>)]
    pub point_cards: &'static [PointCard],
}

/// The whole catalogue.
pub fn catalogue() -> Catalogue {
    Catalogue {
        starting_cards: &MERCHANT_TABLE[..2],
        merchant_cards: &MERCHANT_TABLE[2..],
        point_cards: &POINT_TABLE,
    }
}

/// The points formula every point card obeys: `Y + 2R + 3G + 4B`, +1 for three colours, +2 for four.
pub fn points_formula(cost: &Spices) -> u16 {
    let bonus = match cost.colours() {
        3 => 1,
        4 => 2,
        _ => 0,
    };
    cost.weighted_value() + bonus
}

const fn s(yellow: u16, red: u16, green: u16, brown: u16) -> Spices {
    Spices::new(yellow, red, green, brown)
}

const fn spice(i: u8, gain: Spices, label: &'static str) -> MerchantCard {
    MerchantCard {
        id: MerchantCardId(i),
        kind: MerchantKind::Spice { gain },
        label,
    }
}

const fn upgrade(i: u8, steps: u8, label: &'static str) -> MerchantCard {
    MerchantCard {
        id: MerchantCardId(i),
        kind: MerchantKind::Upgrade { steps },
        label,
    }
}

const fn trade(i: u8, input: Spices, output: Spices, label: &'static str) -> MerchantCard {
    MerchantCard {
        id: MerchantCardId(i),
        kind: MerchantKind::Trade { input, output },
        label,
    }
}

const fn point_card(i: u8, cost: Spices, points: u16, label: &'static str) -> PointCard {
    PointCard {
        id: PointCardId(i),
        cost,
        points,
        label,
    }
}

/// Every merchant card: the two starting cards S01–S02, then the deck cards M01–M43.
/// `MerchantCardId(i)` indexes this table. Generated from `cards.json`; a test checks they agree.
#[rustfmt::skip]
static MERCHANT_TABLE: [MerchantCard; 45] = [
    spice( 0, s(2, 0, 0, 0), "+YY"), // S01
    upgrade( 1, 2, "upgrade x2"), // S02
    spice( 2, s(3, 0, 0, 0), "+YYY"), // M01
    spice( 3, s(1, 1, 0, 0), "+YR"), // M02
    spice( 4, s(0, 0, 1, 0), "+G"), // M03
    spice( 5, s(4, 0, 0, 0), "+YYYY"), // M04
    spice( 6, s(2, 1, 0, 0), "+YYR"), // M05
    spice( 7, s(0, 2, 0, 0), "+RR"), // M06
    spice( 8, s(1, 0, 1, 0), "+YG"), // M07
    spice( 9, s(0, 0, 0, 1), "+B"), // M08
    upgrade(10, 3, "upgrade x3"), // M09
    trade(11, s(2, 0, 0, 0), s(0, 0, 1, 0), "YY->G"), // M10
    trade(12, s(2, 0, 0, 0), s(0, 2, 0, 0), "YY->RR"), // M11
    trade(13, s(3, 0, 0, 0), s(0, 0, 0, 1), "YYY->B"), // M12
    trade(14, s(3, 0, 0, 0), s(0, 1, 1, 0), "YYY->RG"), // M13
    trade(15, s(3, 0, 0, 0), s(0, 3, 0, 0), "YYY->RRR"), // M14
    trade(16, s(4, 0, 0, 0), s(0, 0, 2, 0), "YYYY->GG"), // M15
    trade(17, s(4, 0, 0, 0), s(0, 0, 1, 1), "YYYY->GB"), // M16
    trade(18, s(5, 0, 0, 0), s(0, 0, 0, 2), "YYYYY->BB"), // M17
    trade(19, s(5, 0, 0, 0), s(0, 0, 3, 0), "YYYYY->GGG"), // M18
    trade(20, s(0, 1, 0, 0), s(3, 0, 0, 0), "R->YYY"), // M19
    trade(21, s(1, 1, 0, 0), s(0, 0, 0, 1), "YR->B"), // M20
    trade(22, s(0, 2, 0, 0), s(3, 0, 1, 0), "RR->YYYG"), // M21
    trade(23, s(0, 2, 0, 0), s(0, 0, 2, 0), "RR->GG"), // M22
    trade(24, s(0, 2, 0, 0), s(2, 0, 0, 1), "RR->YYB"), // M23
    trade(25, s(0, 3, 0, 0), s(2, 0, 2, 0), "RRR->YYGG"), // M24
    trade(26, s(0, 3, 0, 0), s(1, 0, 1, 1), "RRR->YGB"), // M25
    trade(27, s(0, 3, 0, 0), s(0, 0, 0, 2), "RRR->BB"), // M26
    trade(28, s(0, 3, 0, 0), s(0, 0, 3, 0), "RRR->GGG"), // M27
    trade(29, s(0, 0, 1, 0), s(0, 2, 0, 0), "G->RR"), // M28
    trade(30, s(0, 0, 1, 0), s(1, 2, 0, 0), "G->YRR"), // M29
    trade(31, s(0, 0, 1, 0), s(4, 1, 0, 0), "G->YYYYR"), // M30
    trade(32, s(2, 0, 1, 0), s(0, 0, 0, 2), "YYG->BB"), // M31
    trade(33, s(0, 0, 2, 0), s(2, 3, 0, 0), "GG->YYRRR"), // M32
    trade(34, s(0, 0, 2, 0), s(2, 1, 0, 1), "GG->YYRB"), // M33
    trade(35, s(0, 0, 2, 0), s(0, 2, 0, 1), "GG->RRB"), // M34
    trade(36, s(0, 0, 2, 0), s(0, 0, 0, 2), "GG->BB"), // M35
    trade(37, s(0, 0, 3, 0), s(0, 0, 0, 3), "GGG->BBB"), // M36
    trade(38, s(0, 0, 0, 1), s(2, 2, 0, 0), "B->YYRR"), // M37
    trade(39, s(0, 0, 0, 1), s(0, 3, 0, 0), "B->RRR"), // M38
    trade(40, s(0, 0, 0, 1), s(3, 0, 1, 0), "B->YYYG"), // M39
    trade(41, s(0, 0, 0, 1), s(1, 1, 1, 0), "B->YRG"), // M40
    trade(42, s(0, 0, 0, 1), s(0, 0, 2, 0), "B->GG"), // M41
    trade(43, s(0, 0, 0, 2), s(0, 3, 2, 0), "BB->RRRGG"), // M42
    trade(44, s(0, 0, 0, 2), s(1, 1, 3, 0), "BB->YRGGG"), // M43
];

/// Every point card, P01–P36; `PointCardId(i)` indexes this table.
#[rustfmt::skip]
static POINT_TABLE: [PointCard; 36] = [
    point_card( 0, s(2, 2, 0, 0),  6, "YYRR"), // P01
    point_card( 1, s(3, 2, 0, 0),  7, "YYYRR"), // P02
    point_card( 2, s(2, 3, 0, 0),  8, "YYRRR"), // P03
    point_card( 3, s(0, 4, 0, 0),  8, "RRRR"), // P04
    point_card( 4, s(2, 0, 2, 0),  8, "YYGG"), // P05
    point_card( 5, s(3, 0, 2, 0),  9, "YYYGG"), // P06
    point_card( 6, s(2, 1, 0, 1),  9, "YYRB"), // P07
    point_card( 7, s(0, 5, 0, 0), 10, "RRRRR"), // P08
    point_card( 8, s(0, 2, 2, 0), 10, "RRGG"), // P09
    point_card( 9, s(2, 0, 0, 2), 10, "YYBB"), // P10
    point_card(10, s(2, 0, 3, 0), 11, "YYGGG"), // P11
    point_card(11, s(3, 0, 0, 2), 11, "YYYBB"), // P12
    point_card(12, s(0, 3, 2, 0), 12, "RRRGG"), // P13
    point_card(13, s(0, 0, 4, 0), 12, "GGGG"), // P14
    point_card(14, s(1, 1, 1, 1), 12, "YRGB"), // P15
    point_card(15, s(0, 2, 1, 1), 12, "RRGB"), // P16
    point_card(16, s(1, 0, 2, 1), 12, "YGGB"), // P17
    point_card(17, s(0, 2, 0, 2), 12, "RRBB"), // P18
    point_card(18, s(2, 2, 2, 0), 13, "YYRRGG"), // P19
    point_card(19, s(0, 2, 3, 0), 13, "RRGGG"), // P20
    point_card(20, s(3, 1, 1, 1), 14, "YYYRGB"), // P21
    point_card(21, s(0, 3, 0, 2), 14, "RRRBB"), // P22
    point_card(22, s(0, 0, 2, 2), 14, "GGBB"), // P23
    point_card(23, s(2, 0, 0, 3), 14, "YYBBB"), // P24
    point_card(24, s(0, 0, 5, 0), 15, "GGGGG"), // P25
    point_card(25, s(2, 2, 0, 2), 15, "YYRRBB"), // P26
    point_card(26, s(1, 3, 1, 1), 16, "YRRRGB"), // P27
    point_card(27, s(0, 2, 0, 3), 16, "RRBBB"), // P28
    point_card(28, s(0, 0, 0, 4), 16, "BBBB"), // P29
    point_card(29, s(2, 0, 2, 2), 17, "YYGGBB"), // P30
    point_card(30, s(0, 0, 3, 2), 17, "GGGBB"), // P31
    point_card(31, s(1, 1, 3, 1), 18, "YRGGGB"), // P32
    point_card(32, s(0, 0, 2, 3), 18, "GGBBB"), // P33
    point_card(33, s(0, 2, 2, 2), 19, "RRGGBB"), // P34
    point_card(34, s(1, 1, 1, 3), 20, "YRGBBB"), // P35
    point_card(35, s(0, 0, 0, 5), 20, "BBBBB"), // P36
];
