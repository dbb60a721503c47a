//! Domain events to and from BSON, kept small.
//!
//! An event is stored as `{t: <type>, d: <data>}`: the domain's own serde shape
//! (`{"type":…,"data":…}`) with one-letter keys, because the key names are repeated in every
//! stored event. Two further rules keep a typical event under 200 bytes and make every event fit:
//! - spice counts (`{yellow, red, green, brown}`) leave out their zero colours (the domain reads a
//!   missing colour as 0);
//! - `GameCreated`'s seed is a `u64` and BSON has no unsigned 64-bit integer: its bits are stored
//!   as an `i64` and read back the same way.
//!
//! Numbers are read back through serde, which accepts Int32 and Int64 alike (some servers return
//! small Int64 values as Int32).

use mongodb::bson::{self, Bson, Document};

use crate::domain::Event;

const TYPE: &str = "t";
const DATA: &str = "d";
const SPICE_KEYS: [&str; 4] = ["yellow", "red", "green", "brown"];

/// Why an event could not be turned into BSON or back.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The event did not serialise.
    #[error("cannot encode an event: {0}")]
    Encode(#[from] bson::ser::Error),
    /// The stored document is not an event this version understands.
    #[error("cannot decode a stored event: {0}")]
    Decode(String),
}

/// The stored form of one event.
pub fn encode(event: &Event) -> Result<Document, CodecError> {
    let (value, seed) = match event {
        Event::GameCreated {
            num_players,
            rules,
            hidden: Some(hidden),
        } => {
            let mut without_seed = hidden.clone();
            without_seed.seed = 0;
            let copy = Event::GameCreated {
                num_players: *num_players,
                rules: *rules,
                hidden: Some(without_seed),
            };
            (bson::to_document(&copy)?, Some(hidden.seed))
        }
        _ => (bson::to_document(event)?, None),
    };
    let mut tagged = value.into_iter();
    let mut out = Document::new();
    for (key, mut value) in tagged.by_ref() {
        match key.as_str() {
            "type" => {
                out.insert(TYPE, value);
            }
            "data" => {
                compact(&mut value);
                if let (Some(seed), Bson::Document(data)) = (seed, &mut value) {
                    if let Ok(hidden) = data.get_document_mut("hidden") {
                        // Two's complement: every u64 has exactly one i64 with the same bits.
                        hidden.insert("seed", Bson::Int64(seed as i64));
                    }
                }
                out.insert(DATA, value);
            }
            _ => {
                out.insert(key, value);
            }
        }
    }
    Ok(out)
}

/// The event a stored document holds.
pub fn decode(stored: Document) -> Result<Event, CodecError> {
    let mut tagged = Document::new();
    let mut seed = None;
    for (key, value) in stored {
        match key.as_str() {
            TYPE => {
                tagged.insert("type", value);
            }
            DATA => {
                let mut value = value;
                if let Bson::Document(data) = &mut value {
                    if let Ok(hidden) = data.get_document_mut("hidden") {
                        seed = match hidden.get("seed") {
                            Some(Bson::Int64(n)) => Some(*n as u64),
                            Some(Bson::Int32(n)) => Some(*n as i64 as u64),
                            _ => None,
                        };
                        hidden.insert("seed", Bson::Int64(0));
                    }
                }
                tagged.insert("data", value);
            }
            _ => {}
        }
    }
    let mut event: Event =
        bson::from_document(tagged).map_err(|e| CodecError::Decode(e.to_string()))?;
    if let (
        Some(seed),
        Event::GameCreated {
            hidden: Some(hidden),
            ..
        },
    ) = (seed, &mut event)
    {
        hidden.seed = seed;
    }
    Ok(event)
}

/// Removes the zero colours of every spice count inside `value`.
fn compact(value: &mut Bson) {
    match value {
        Bson::Document(doc) => {
            if is_spices(doc) {
                let zeros: Vec<String> = doc
                    .iter()
                    .filter(|(_, v)| is_zero(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in zeros {
                    doc.remove(&key);
                }
            } else {
                for (_, v) in doc.iter_mut() {
                    compact(v);
                }
            }
        }
        Bson::Array(items) => items.iter_mut().for_each(compact),
        _ => {}
    }
}

fn is_spices(doc: &Document) -> bool {
    doc.len() == SPICE_KEYS.len() && SPICE_KEYS.iter().all(|k| doc.contains_key(k))
}

fn is_zero(value: &Bson) -> bool {
    matches!(value, Bson::Int32(0) | Bson::Int64(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random_player::play_game;
    use crate::domain::Spices;

    #[test]
    fn every_event_of_whole_games_survives_the_round_trip() {
        for (players, seed) in [(2, 1), (3, 7), (4, u64::MAX), (5, 1 << 63)] {
            let events = play_game(players, seed, 2_000);
            assert!(events.len() > 20, "the bots played a game");
            for event in events {
                let stored = encode(&event).unwrap();
                assert_eq!(decode(stored).unwrap(), event);
            }
        }
    }

    #[test]
    fn a_seed_above_i64_max_is_kept_bit_for_bit() {
        let events = play_game(2, u64::MAX - 3, 0);
        let created = encode(&events[0]).unwrap();
        let seed = created
            .get_document("d")
            .and_then(|d| d.get_document("hidden"))
            .and_then(|h| h.get_i64("seed"))
            .unwrap();
        assert_eq!(seed, -4);
        assert_eq!(decode(created).unwrap(), events[0]);
    }

    #[test]
    fn spice_counts_leave_out_zero_colours() {
        let event = Event::SpicesDiscarded {
            seat: 1,
            spices: Spices::new(0, 2, 0, 0),
        };
        let stored = encode(&event).unwrap();
        let spices = stored.get_document("d").unwrap().get_document("spices");
        assert_eq!(spices.unwrap().keys().collect::<Vec<_>>(), vec!["red"]);
        assert_eq!(decode(stored).unwrap(), event);
    }

    #[test]
    fn an_unknown_event_type_is_a_decode_error() {
        let stored = bson::doc! { "t": "Teleported", "d": { "seat": 0 } };
        assert!(matches!(decode(stored), Err(CodecError::Decode(_))));
    }

    #[test]
    fn a_played_game_averages_under_200_bytes_per_stored_event() {
        let events = play_game(3, 11, 2_000);
        let bytes: usize = events
            .iter()
            .map(|e| bson::to_vec(&encode(e).unwrap()).unwrap().len())
            .sum();
        let average = bytes / events.len();
        assert!(average < 200, "{average} bytes per event");
    }
}
