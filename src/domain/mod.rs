//! The game of Century: Spice Road as a pure, event-sourced domain model.
//!
//! This module is the heart of the server and knows nothing of the world around it: no I/O, no
//! async, no JSON, no database. It is a function from (state, command) to events, and a fold from
//! events to state.
//!
//! # The game in one page
//! Players trade spice cubes — yellow (turmeric) < red (saffron) < green (cardamom) <
//! brown (cinnamon), see [`Spice`] — to claim point cards. Each turn a player does exactly one
//! thing ([`Command`]): play a merchant card from the hand (gain cubes, upgrade cubes, or trade
//! cubes), acquire a merchant card from the market row (paying one cube onto each card to its
//! left), rest (take the played cards back), or claim a point card (paying its exact cost; the two
//! leftmost point cards carry gold and silver coins). A caravan holds at most 10 cubes when a turn
//! passes; the excess is discarded. When a player has claimed 6 point cards (5 with 4–5 players)
//! the round is completed and the highest score wins; ties go to the later seat.
//!
//! # Decide, then apply
//! ```
//! use caravan::domain::{Actor, Command, Event, Game, PlayerId, Viewer};
//!
//! // Creating a game records its rules and its (hidden) shuffled decks.
//! let mut game = Game::default();
//! let create = Command::CreateGame {
//!     num_players: 2,
//!     seed: 42,
//!     scenario: None,
//!     caravan_capacity: None,
//!     point_cards_to_end: None,
//!     turn_clock: None,
//! };
//! for event in game.decide(&Actor::System, &create).unwrap() {
//!     game.apply_mut(&event);
//! }
//! // The join that fills the last seat also starts the game.
//! let mut history = Vec::new();
//! for (seat, name) in ["ada", "bo"].iter().enumerate() {
//!     let join = Command::Join { player_id: PlayerId::new(*name), name: name.to_string() };
//!     let events = game.decide(&Actor::System, &join).unwrap();
//!     game = events.iter().fold(game, Game::apply);
//!     history.extend(events);
//!     assert_eq!(game.seat_of(&PlayerId::new(*name)), Some(seat as u8));
//! }
//! assert_eq!(history.last().unwrap().event_type(), "GameStarted");
//!
//! // Seat 0 plays its "+YY" card: the card is played and the turn passes.
//! let ada = Actor::Player(PlayerId::new("ada"));
//! let play = Command::PlayCard { card_id: "S01".parse().unwrap(), upgrades: vec![], times: 1 };
//! let events = game.decide(&ada, &play).unwrap();
//! assert!(matches!(events[..], [Event::CardPlayed { .. }, Event::TurnEnded { .. }]));
//! game = events.iter().fold(game, Game::apply);
//!
//! // Now it is seat 1's turn; a second move by seat 0 is refused with a stable code.
//! assert_eq!(game.decide(&ada, &play).unwrap_err().code(), "not_your_turn");
//! assert!(game.view(Viewer::Seat(1)).legal.is_some());
//! ```
//!
//! # How the code is laid out
//! - [`spices`], [`cards`]: value objects and the card catalogue ([`cards::catalogue`]).
//! - [`rules`]: the [`Rules`] recorded per game, seats, players, coins.
//! - [`rng`]: the seeded, portable generator that shuffles the decks.
//! - [`commands`], [`events`], [`errors`]: what is asked, what happened, what was refused.
//! - [`game`]: the aggregate [`Game`] with `decide` and `apply`.
//! - [`view`]: what a given viewer may see; [`legal`]: the legal moves of the seat to move.
//! - [`computer`]: the computer players' levels, deciding from a seat's view only.
//! - [`random_player`]: a seeded player that only sends legal commands (load tests, benchmarks,
//!   property tests); the computer players people play against are in [`computer`].

#![warn(missing_docs)]

pub mod cards;
pub mod commands;
pub mod computer;
pub mod errors;
pub mod events;
pub mod game;
pub mod legal;
pub mod names;
pub mod random_player;
pub mod rng;
pub mod rules;
pub mod spices;
pub mod view;

pub use cards::{
    catalogue, CardKind, Catalogue, MerchantCard, MerchantCardId, MerchantKind, PointCard,
    PointCardId, UnknownCardId,
};
pub use commands::{Actor, Command, Scenario};
pub use computer::SeatView;
pub use errors::RuleViolation;
pub use events::{EndReason, Event, FinalScore, HiddenSetup};
pub use game::{Game, GameStatus, MerchantSlot, PlayerState};
pub use random_player::RandomPlayer;
pub use rng::Rng;
pub use rules::{BotLevel, Coin, PlayerId, Rules, Seat, TurnClock};
pub use spices::{Spice, Spices};
pub use view::{
    GameView, LegalHints, MerchantSlotView, PlayableHint, PlayerView, PointSlotView, Viewer,
};

#[cfg(test)]
mod clock_cases;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod rulebook_cases;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod wire_tests;
