//! Test helpers: a table of players driven by real commands, in given/when/then style.
//!
//! `given` builds a history through `decide` (so every given event is one the rules allow), with
//! one exception for brevity: the starting caravans may be replaced in `GameStarted`.

use super::*;

/// The actor sitting at `seat` in tables built here.
pub fn player(seat: Seat) -> Actor {
    Actor::Player(pid(seat))
}

/// The player id at `seat`.
pub fn pid(seat: Seat) -> PlayerId {
    PlayerId(format!("p{seat}"))
}

/// A merchant card id from its catalogue string.
pub fn m(id: &str) -> MerchantCardId {
    id.parse().unwrap()
}

/// A point card id from its catalogue string.
pub fn p(id: &str) -> PointCardId {
    id.parse().unwrap()
}

/// Cubes from card-label letters: `sp("YYRG")`.
pub fn sp(letters: &str) -> Spices {
    Spices::from_list(&list(letters))
}

/// Cube colours from letters, in order: `list("YR")` = [yellow, red].
pub fn list(letters: &str) -> Vec<Spice> {
    letters
        .chars()
        .map(|c| match c {
            'Y' => Spice::Yellow,
            'R' => Spice::Red,
            'G' => Spice::Green,
            'B' => Spice::Brown,
            other => panic!("not a spice letter: {other}"),
        })
        .collect()
}

/// A game being played in a test: its state and its full history.
pub struct Table {
    pub game: Game,
    pub history: Vec<Event>,
}

/// How to set a table up.
#[derive(Default)]
pub struct Setup {
    pub seed: u64,
    pub merchant_deck: Vec<&'static str>,
    pub point_deck: Vec<&'static str>,
    pub caravans: Option<Vec<Spices>>,
    pub caravan_capacity: Option<u16>,
    pub point_cards_to_end: Option<u8>,
    pub turn_clock: Option<TurnClock>,
}

impl Table {
    /// A started game of `n` players with default setup.
    pub fn started(n: u8) -> Table {
        Table::with(n, Setup::default())
    }

    /// A created game, nobody seated yet.
    pub fn created(n: u8, setup: &Setup) -> Table {
        let mut table = Table {
            game: Game::default(),
            history: Vec::new(),
        };
        let scenario = Scenario {
            merchant_deck: setup.merchant_deck.iter().map(|s| m(s)).collect(),
            point_deck: setup.point_deck.iter().map(|s| p(s)).collect(),
        };
        table.record(
            table
                .game
                .decide(
                    &Actor::System,
                    &Command::CreateGame {
                        num_players: n,
                        seed: setup.seed,
                        scenario: Some(scenario),
                        caravan_capacity: setup.caravan_capacity,
                        point_cards_to_end: setup.point_cards_to_end,
                        turn_clock: setup.turn_clock,
                    },
                )
                .unwrap(),
        );
        table
    }

    /// A started game of `n` players.
    pub fn with(n: u8, setup: Setup) -> Table {
        let mut table = Table::created(n, &setup);
        for seat in 0..n {
            let mut events = table.game.decide(&player(seat), &join(seat)).unwrap();
            if let (Some(caravans), Some(Event::GameStarted { caravans: c, .. })) =
                (&setup.caravans, events.last_mut())
            {
                c.clone_from(caravans);
            }
            table.record(events);
        }
        assert_eq!(table.game.status(), GameStatus::Active);
        table
    }

    /// Applies events to the state and the history.
    pub fn record(&mut self, events: Vec<Event>) {
        for e in &events {
            self.game.apply_mut(e);
        }
        self.history.extend(events);
    }

    /// What `decide` answers, without changing anything.
    pub fn when(&self, seat: Seat, command: Command) -> Result<Vec<Event>, RuleViolation> {
        self.game.decide(&player(seat), &command)
    }

    /// Sends a command that must succeed, records its events and returns them.
    #[track_caller]
    pub fn ok(&mut self, seat: Seat, command: Command) -> Vec<Event> {
        let events = match self.game.decide(&player(seat), &command) {
            Ok(events) => events,
            Err(e) => panic!("seat {seat}: {command:?} refused: {e:?}"),
        };
        self.record(events.clone());
        events
    }

    /// Sends a command that must be refused, checks that nothing changed, returns the violation.
    #[track_caller]
    pub fn refused(&self, seat: Seat, command: Command) -> RuleViolation {
        let before = self.game.clone();
        match self.game.decide(&player(seat), &command) {
            Ok(events) => panic!("seat {seat}: {command:?} accepted: {events:?}"),
            Err(e) => {
                assert_eq!(self.game, before);
                e
            }
        }
    }

    /// The server times the running turn of `seat` out; must succeed. Returns the events.
    #[track_caller]
    pub fn time_out(&mut self, seat: Seat) -> Vec<Event> {
        let events = match self.game.decide(&Actor::System, &Command::TimeOut { seat }) {
            Ok(events) => events,
            Err(e) => panic!("time-out of seat {seat} refused: {e:?}"),
        };
        self.record(events.clone());
        events
    }

    /// The player at `seat`.
    pub fn seat(&self, seat: Seat) -> &PlayerState {
        self.game.player(seat).unwrap()
    }

    /// The caravan at `seat`.
    pub fn caravan(&self, seat: Seat) -> Spices {
        self.seat(seat).caravan
    }
}

/// `Join` for the test player at `seat`.
pub fn join(seat: Seat) -> Command {
    Command::Join {
        player_id: pid(seat),
        name: format!("Player {seat}"),
    }
}

/// Play a card that takes no steps and no times.
pub fn play(id: &str) -> Command {
    Command::PlayCard {
        card_id: m(id),
        upgrades: Vec::new(),
        times: 1,
    }
}

/// Play an upgrade card with steps given as letters.
pub fn upgrade(id: &str, steps: &str) -> Command {
    Command::PlayCard {
        card_id: m(id),
        upgrades: list(steps),
        times: 1,
    }
}

/// Play a trade card `times` times.
pub fn trade(id: &str, times: u32) -> Command {
    Command::PlayCard {
        card_id: m(id),
        upgrades: Vec::new(),
        times,
    }
}

/// Acquire the card at `slot`, paying cubes given as letters.
pub fn acquire(slot: u8, payment: &str) -> Command {
    Command::Acquire {
        slot,
        payment: list(payment),
    }
}

/// Claim the point card at `slot`.
pub fn claim(slot: u8) -> Command {
    Command::Claim { slot }
}

/// Discard cubes given as letters.
pub fn discard(letters: &str) -> Command {
    Command::Discard {
        spices: sp(letters),
    }
}

/// The event types of a batch, for compact assertions.
pub fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::event_type).collect()
}
