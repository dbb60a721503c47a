//! Benchmarks of the domain: rebuilding games from their events, and deciding commands.
//!
//! Run with `cargo bench --bench domain`. Figures and machine are recorded in BENCHMARKS.md.

use std::hint::black_box;

use caravan::domain::random_player::{bot_player_id, play_game};
use caravan::domain::{Actor, Command, Event, Game, RandomPlayer};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// A complete bot game of `players` players (ends with `GameEnded`).
fn finished_game(players: u8, seed: u64) -> Vec<Event> {
    let events = play_game(players, seed, 10_000);
    assert_eq!(events.last().map(Event::event_type), Some("GameEnded"));
    events
}

/// Every position of a game with the command the bot chose there.
fn decisions(players: u8, seed: u64) -> Vec<(Game, Actor, Command)> {
    let events = finished_game(players, seed);
    let mut game = Game::default();
    let mut bot = RandomPlayer::new(seed);
    let mut out = Vec::new();
    for event in &events {
        game.apply_mut(event);
        if let Some(seat) = game.current_seat() {
            if matches!(event, Event::TurnEnded { .. } | Event::GameStarted { .. }) {
                if let Some(command) = bot.choose(&game, seat) {
                    out.push((game.clone(), Actor::Player(bot_player_id(seat)), command));
                }
            }
        }
    }
    out
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    for players in [2u8, 4] {
        let events = finished_game(players, 7);
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_function(format!("{players}p_game_{}_events", events.len()), |b| {
            b.iter(|| Game::replay(black_box(&events)))
        });
    }
    // many different games back to back: events per second over a varied history
    let games: Vec<Vec<Event>> = (0..32).map(|seed| finished_game(4, seed)).collect();
    let total: usize = games.iter().map(Vec::len).sum();
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function(format!("32_4p_games_{total}_events"), |b| {
        b.iter(|| {
            for events in &games {
                black_box(Game::replay(black_box(events)));
            }
        })
    });
    group.finish();
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    let positions = decisions(4, 7);
    group.throughput(Throughput::Elements(positions.len() as u64));
    group.bench_function(format!("4p_game_{}_turn_commands", positions.len()), |b| {
        b.iter(|| {
            for (game, actor, command) in &positions {
                black_box(game.decide(black_box(actor), black_box(command)).ok());
            }
        })
    });
    group.bench_function("4p_game_legal_commands", |b| {
        b.iter(|| {
            for (game, _, _) in &positions {
                let seat = game.current_seat().unwrap_or(0);
                black_box(game.legal_commands(black_box(seat)));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("create_and_seat_4p", |b| {
        let create = Command::CreateGame {
            num_players: 4,
            seed: 1,
            scenario: None,
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
        };
        b.iter_batched(
            Game::default,
            |mut game| {
                for e in game.decide(&Actor::System, &create).unwrap() {
                    game.apply_mut(&e);
                }
                for seat in 0..4 {
                    let join = Command::Join {
                        player_id: bot_player_id(seat),
                        name: format!("Bot {seat}"),
                    };
                    for e in game.decide(&Actor::System, &join).unwrap() {
                        game.apply_mut(&e);
                    }
                }
                game
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, replay, decide);
criterion_main!(benches);
