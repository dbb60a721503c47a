//! Protocol 3's event data: each event's `data` as the array of its members' values, in the
//! order of [`MEMBERS`], with every spice map (`{"yellow":…,"red":…,"green":…,"brown":…}`) as
//! the array `[yellow, red, green, brown]`. Any other object (a game's `rules`, a final score) is
//! written as in the `event` frame.
//!
//! The member order is the order of the members in the `event` frame's data (the order the domain
//! declares them in), so a client that keeps the list per event type rebuilds the object by
//! position; [`read_event`] does so for Rust clients (the load generator). The writer below names
//! every field of every variant without `..`: a field added to an event does not compile until it
//! is placed here, and the tests hold [`MEMBERS`] against the `event` frames.
//!
//! Protocol 4 writes its events the same way, and its patches' `legal` hints as arrays too
//! ([`write_packed_legal`], read back by [`read_packed_legal`]).

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{DeserializeSeed, MapAccess};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::{CardKind, Event, LegalHints, MerchantCardId, PlayableHint, Spices};

/// Each event type's members, in the order protocol 3 writes their values.
pub const MEMBERS: [(&str, &[&str]); 12] = [
    ("GameCreated", &["numPlayers", "rules"]),
    ("PlayerJoined", &["seat", "playerId", "name", "bot"]),
    ("PlayerLeft", &["seat", "playerId", "forfeited"]),
    (
        "GameStarted",
        &[
            "merchantRow",
            "pointRow",
            "gold",
            "silver",
            "caravans",
            "firstSeat",
        ],
    ),
    (
        "CardPlayed",
        &["seat", "cardId", "gained", "paid", "times", "upgrades"],
    ),
    (
        "ItemAcquired",
        &[
            "seat",
            "slot",
            "cardId",
            "payment",
            "cubesTaken",
            "revealed",
        ],
    ),
    ("PlayerRested", &["seat", "returned"]),
    (
        "ClaimCompleted",
        &[
            "seat", "slot", "cardId", "points", "paid", "coin", "revealed",
        ],
    ),
    ("SpicesDiscarded", &["seat", "spices"]),
    ("TurnTimedOut", &["seat", "consecutive"]),
    ("TurnEnded", &["seat", "nextSeat", "round", "endTriggered"]),
    ("GameEnded", &["scores", "winner", "reason"]),
];

/// The members of `event_type`'s data in protocol 3's order (`None` for an unknown type).
pub fn members(event_type: &str) -> Option<&'static [&'static str]> {
    MEMBERS
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, members)| *members)
}

/// Reads an event of an `update` frame from its type and the JSON text of its data: the object
/// (protocol 2) or protocol 3's array. No `serde_json::Value` is built: the array's values are
/// handed to the domain's event as the members [`MEMBERS`] names (spice maps read from their
/// arrays as they are, a struct being readable from the sequence of its fields).
pub fn read_event(event_type: &str, data: &str) -> Result<Event, serde_json::Error> {
    let data = if data.trim_start().starts_with('[') {
        let values: Vec<&RawValue> = serde_json::from_str(data)?;
        let Some(members) = members(event_type) else {
            return Err(serde::de::Error::custom(format!(
                "unknown event type {event_type}"
            )));
        };
        if members.len() != values.len() {
            return Err(serde::de::Error::invalid_length(
                values.len(),
                &format!("{} values", members.len()).as_str(),
            ));
        }
        Data::Values(Values {
            members,
            values,
            next: 0,
        })
    } else {
        Data::Text(data)
    };
    Event::deserialize(MapAccessDeserializer::new(Tagged {
        event_type: Some(event_type),
        data: Some(data),
    }))
}

/// Reads one value from its JSON text, all of it.
fn from_text<'de, S: DeserializeSeed<'de>>(
    seed: S,
    text: &'de str,
) -> Result<S::Value, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// An event's data: the JSON text of the object, or protocol 3's values.
enum Data<'a> {
    Text(&'a str),
    Values(Values<'a>),
}

/// The domain's event in its tagged form, `{"type": <event_type>, "data": <data>}`, presented as
/// a map (each member taken once its key has been read).
struct Tagged<'a> {
    event_type: Option<&'a str>,
    data: Option<Data<'a>>,
}

impl<'de> MapAccess<'de> for Tagged<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let key = match (&self.event_type, &self.data) {
            (Some(_), _) => "type",
            (None, Some(_)) => "data",
            (None, None) => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        if let Some(event_type) = self.event_type.take() {
            return seed.deserialize(BorrowedStrDeserializer::new(event_type));
        }
        match self.data.take() {
            Some(Data::Values(values)) => seed.deserialize(MapAccessDeserializer::new(values)),
            Some(Data::Text(text)) => from_text(seed, text),
            None => Err(serde::de::Error::custom("no more members")),
        }
    }
}

/// Protocol 3's values of one event's data, presented as the map of its members.
struct Values<'a> {
    members: &'static [&'static str],
    values: Vec<&'a RawValue>,
    next: usize,
}

impl<'de> MapAccess<'de> for Values<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.members.get(self.next) {
            Some(member) => seed
                .deserialize(BorrowedStrDeserializer::new(member))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let raw = self.values[self.next];
        self.next += 1;
        from_text(seed, raw.get())
    }
}

/// Writes the public `event`'s data as protocol 3's array.
pub fn write_compact_data(out: &mut Vec<u8>, event: &Event) {
    let mut row = Row::new(out);
    match event {
        // The hidden setup never leaves the server: public events hold `None` there.
        Event::GameCreated {
            num_players,
            rules,
            hidden: _,
        } => row.value(num_players).value(rules),
        Event::PlayerJoined {
            seat,
            player_id,
            name,
            bot,
        } => row.value(seat).value(player_id).value(name).value(bot),
        Event::PlayerLeft {
            seat,
            player_id,
            forfeited,
        } => row.value(seat).value(player_id).value(forfeited),
        Event::GameStarted {
            merchant_row,
            point_row,
            gold,
            silver,
            caravans,
            first_seat,
        } => row
            .value(merchant_row)
            .value(point_row)
            .value(gold)
            .value(silver)
            .spice_list(caravans)
            .value(first_seat),
        Event::CardPlayed {
            seat,
            card_id,
            gained,
            paid,
            times,
            upgrades,
        } => row
            .value(seat)
            .value(card_id)
            .spices(gained)
            .spices(paid)
            .value(times)
            .value(upgrades),
        Event::ItemAcquired {
            seat,
            slot,
            card_id,
            payment,
            cubes_taken,
            revealed,
        } => row
            .value(seat)
            .value(slot)
            .value(card_id)
            .value(payment)
            .spices(cubes_taken)
            .value(revealed),
        Event::PlayerRested { seat, returned } => row.value(seat).value(returned),
        Event::ClaimCompleted {
            seat,
            slot,
            card_id,
            points,
            paid,
            coin,
            revealed,
        } => row
            .value(seat)
            .value(slot)
            .value(card_id)
            .value(points)
            .spices(paid)
            .value(coin)
            .value(revealed),
        Event::SpicesDiscarded { seat, spices } => row.value(seat).spices(spices),
        Event::TurnTimedOut { seat, consecutive } => row.value(seat).value(consecutive),
        Event::TurnEnded {
            seat,
            next_seat,
            round,
            end_triggered,
        } => row
            .value(seat)
            .value(next_seat)
            .value(round)
            .value(end_triggered),
        Event::GameEnded {
            scores,
            winner,
            reason,
        } => row.value(scores).value(winner).value(reason),
    };
    row.end();
}

/// A JSON array being written, one value after another.
struct Row<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Row<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'[');
        Row { out, first: true }
    }

    fn next(&mut self) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        // The domain's values serialise infallibly (no maps with non-string keys), and writing
        // into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *self.next(), value);
        self
    }

    fn spices(&mut self, spices: &Spices) -> &mut Self {
        write_spices(self.next(), spices);
        self
    }

    fn spice_list(&mut self, list: &[Spices]) -> &mut Self {
        let out = self.next();
        out.push(b'[');
        for (i, spices) in list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_spices(out, spices);
        }
        out.push(b']');
        self
    }

    fn end(self) {
        self.out.push(b']');
    }
}

/// `[yellow,red,green,brown]`.
fn write_spices(out: &mut Vec<u8>, spices: &Spices) {
    let mut number = itoa::Buffer::new();
    out.push(b'[');
    for (i, count) in [spices.yellow, spices.red, spices.green, spices.brown]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(number.format(count).as_bytes());
    }
    out.push(b']');
}

/// A seat's `legal` hints as protocol 4 writes them in a patch: `[playable, acquirable, claimable,
/// canRest, discardOwed]`, each playable card `[cardId, kind, maxTimes, upgradeSteps]` (the hints'
/// members in the order of the object, which is what protocols 1 to 3 send).
type PackedLegal = (
    Vec<(MerchantCardId, CardKind, Option<u32>, Option<u8>)>,
    Vec<u8>,
    Vec<u8>,
    bool,
    Option<u16>,
);

/// Writes `legal` as protocol 4's array: `[playable, acquirable, claimable, canRest, discardOwed]`.
pub fn write_packed_legal(out: &mut Vec<u8>, legal: &LegalHints) {
    let LegalHints {
        playable,
        acquirable,
        claimable,
        can_rest,
        discard_owed,
    } = legal;
    let playable: Vec<_> = playable
        .iter()
        .map(
            |PlayableHint {
                 card_id,
                 kind,
                 max_times,
                 upgrade_steps,
             }| (card_id, kind, max_times, upgrade_steps),
        )
        .collect();
    let packed = (playable, acquirable, claimable, can_rest, discard_owed);
    // Writing card ids, numbers and booleans into a Vec cannot fail.
    let _ = serde_json::to_writer(out, &packed);
}

/// Reads protocol 4's `legal` array (as [`write_packed_legal`] writes it) back into the hints.
pub fn read_packed_legal(text: &str) -> Result<LegalHints, serde_json::Error> {
    let (playable, acquirable, claimable, can_rest, discard_owed): PackedLegal =
        serde_json::from_str(text)?;
    Ok(LegalHints {
        playable: playable
            .into_iter()
            .map(|(card_id, kind, max_times, upgrade_steps)| PlayableHint {
                card_id,
                kind,
                max_times,
                upgrade_steps,
            })
            .collect(),
        acquirable,
        claimable,
        can_rest,
        discard_owed,
    })
}

/// What protocol 3 writes for an event frame's `data` (a JSON object) of `event_type`: its listed
/// members' values in order (`null` for one left out), spice maps as arrays.
#[cfg(test)]
pub fn expected_from_frame(event_type: &str, data: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    fn compacted(value: &Value) -> Value {
        match value {
            Value::Object(map)
                if map.len() == 4 && <Spices as serde::Deserialize>::deserialize(value).is_ok() =>
            {
                ["yellow", "red", "green", "brown"]
                    .iter()
                    .map(|colour| map[*colour].clone())
                    .collect()
            }
            Value::Array(items) => items.iter().map(compacted).collect(),
            other => other.clone(),
        }
    }
    members(event_type)
        .unwrap_or_default()
        .iter()
        .map(|name| data.get(*name).map(compacted).unwrap_or(Value::Null))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::domain::random_player::play_game;

    /// Events of every type: random games to their end (with rests, trades, claims, discards),
    /// and the rarer ones written out.
    fn events() -> Vec<Event> {
        let mut events = Vec::new();
        for (players, seed) in [(2, 1), (3, 7), (4, 17), (5, 23)] {
            events.extend(play_game(players, seed, 2_000));
        }
        events.push(Event::PlayerJoined {
            seat: 1,
            player_id: "p-2".into(),
            name: "Bot \"2\"".into(),
            bot: Some(crate::domain::BotLevel::Greedy),
        });
        events.push(Event::PlayerLeft {
            seat: 1,
            player_id: "p-2".into(),
            forfeited: true,
        });
        events.push(Event::TurnTimedOut {
            seat: 0,
            consecutive: 2,
        });
        events
    }

    #[test]
    fn values_of_the_wrong_count_or_kind_are_refused() {
        assert!(read_event("TurnEnded", "[1,0,3,false]").is_ok());
        assert!(read_event("TurnEnded", "[1,0,3]").is_err());
        assert!(read_event("TurnEnded", "[1,0,3,false,1]").is_err());
        assert!(read_event("TurnEnded", "[false,1,0,3]").is_err());
        assert!(read_event("Unknown", "[1]").is_err());
    }

    /// The lists as a client reads them: the browser client's table and docs/protocol.md's.
    #[test]
    fn the_browser_client_and_the_protocol_document_list_the_same_members() {
        let root = env!("CARGO_MANIFEST_DIR");
        let script = std::fs::read_to_string(format!("{root}/web/assets/js/patch.js")).unwrap();
        let table = script
            .split("export const MEMBERS = {")
            .nth(1)
            .and_then(|rest| rest.split("};").next())
            .expect("patch.js has MEMBERS");
        let quoted = |text: &str, quote: char| -> Vec<String> {
            text.split(quote)
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        let in_script: Vec<(String, Vec<String>)> = table
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
            .map(|(name, list)| (name.to_string(), quoted(list, '\'')))
            .collect();
        let document = std::fs::read_to_string(format!("{root}/docs/protocol.md")).unwrap();
        let section = document
            .split("#### Protocol 3")
            .nth(1)
            .expect("docs/protocol.md describes protocol 3");
        let in_document: Vec<(String, Vec<String>)> = section
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                members(name)?;
                Some((name.to_string(), quoted(cells.get(2)?, '`')))
            })
            .collect();
        let expected: Vec<(String, Vec<String>)> = MEMBERS
            .iter()
            .map(|(name, list)| {
                let list = list.iter().map(|m| (*m).to_string()).collect();
                ((*name).to_string(), list)
            })
            .collect();
        assert_eq!(in_script, expected, "web/assets/js/patch.js");
        assert_eq!(in_document, expected, "docs/protocol.md");
    }

    #[test]
    fn every_type_is_listed_once() {
        for name in Event::TYPES {
            assert_eq!(
                MEMBERS.iter().filter(|(n, _)| *n == name).count(),
                1,
                "{name}"
            );
        }
    }

    #[test]
    fn the_array_holds_the_event_frames_members_in_order() {
        let mut seen = std::collections::BTreeSet::new();
        for event in events() {
            let public = event.public();
            let event_type = public.event_type();
            seen.insert(event_type);
            let mut out = Vec::new();
            write_compact_data(&mut out, &public);
            let row: Vec<Value> = serde_json::from_slice(&out).expect("an array");
            let tagged = serde_json::to_value(&*public).expect("json");
            let data: &Map<String, Value> = tagged["data"].as_object().expect("an object");
            let names = members(event_type).expect("listed");
            assert_eq!(row.len(), names.len(), "{event_type}: {out:?}");
            // Every member of the frame is listed (an absent optional one is `null` here). Their
            // order is the declaration order, which the next test reads back by.
            assert!(
                data.keys().all(|key| names.contains(&key.as_str())),
                "{event_type}: a member not listed in {names:?}"
            );
            assert_eq!(
                Value::Array(row),
                expected_from_frame(event_type, &tagged["data"]),
                "{event_type}"
            );
        }
        assert_eq!(seen.len(), Event::TYPES.len(), "every type met: {seen:?}");
    }

    #[test]
    fn the_array_reads_back_into_the_same_event() {
        for event in events() {
            let public = event.public().into_owned();
            let mut out = Vec::new();
            write_compact_data(&mut out, &public);
            let text = String::from_utf8(out).expect("UTF-8");
            let read = read_event(public.event_type(), &text).expect("reads back");
            assert_eq!(read, public, "{text}");
            // The object form reads the same.
            let tagged = serde_json::to_value(&public).expect("json");
            let object = read_event(public.event_type(), &tagged["data"].to_string());
            assert_eq!(object.expect("reads"), public);
        }
    }
}
