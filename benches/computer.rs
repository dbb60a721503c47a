//! Benchmarks of the computer players: the time one decision takes, per level, on realistic
//! mid-game positions.
//!
//! The positions come from whole games played by the computer players themselves (a strong and a
//! greedy player, two and four seats, several seeds): every position from round 10 to round 30
//! where the seat to move owes no discard. Each benchmark decides once at every position, so
//! criterion's time divided by the number of positions is the mean time of one decision;
//! `busiest` is the twentieth of those positions with the most legal moves, where the strong
//! level searches the most. The decision-time percentiles (p99) come from the arena
//! (`caravan-tools arena`), which times every decision of its games.
//!
//! Run with `cargo bench --bench computer`. Figures and machine are in BENCHMARKS.md.

use std::hint::black_box;

use caravan::domain::computer::choose;
use caravan::domain::{Actor, BotLevel, Command, Game, GameStatus, PlayerId, SeatView};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Every position from round 10 to 30 of a game between `lineup`, where a turn action is due.
fn positions(lineup: &[BotLevel], seed: u64) -> Vec<SeatView> {
    let mut game = Game::default();
    let apply = |game: &mut Game, actor: &Actor, command: &Command| {
        let events = game.decide(actor, command).expect("a legal command");
        for e in &events {
            game.apply_mut(e);
        }
    };
    let create = Command::CreateGame {
        num_players: lineup.len() as u8,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    };
    apply(&mut game, &Actor::System, &create);
    for (seat, level) in lineup.iter().enumerate() {
        let add = Command::AddBot {
            player_id: PlayerId(format!("cpu-{seat}")),
            name: level.to_string(),
            level: *level,
        };
        apply(&mut game, &Actor::System, &add);
    }
    let mut out = Vec::new();
    while game.status() == GameStatus::Active {
        let Some(seat) = game.current_seat() else {
            break;
        };
        let view = game.seat_view(seat);
        if (10..=30).contains(&game.round()) && game.awaiting_discard().is_none() {
            out.push(view.clone());
        }
        let level = lineup[usize::from(seat)];
        let Some(command) = choose(&view, level, seed ^ game.version()) else {
            break;
        };
        apply(
            &mut game,
            &Actor::Player(PlayerId(format!("cpu-{seat}"))),
            &command,
        );
    }
    out
}

fn mid_game() -> Vec<SeatView> {
    let mut all = Vec::new();
    for seed in 1..=6 {
        all.extend(positions(&[BotLevel::Strong, BotLevel::Greedy], seed));
        all.extend(positions(&[BotLevel::Greedy, BotLevel::Strong], seed));
    }
    for seed in 1..=3 {
        let four = [
            BotLevel::Strong,
            BotLevel::Greedy,
            BotLevel::Strong,
            BotLevel::Greedy,
        ];
        all.extend(positions(&four, seed));
    }
    all
}

fn legal_moves(view: &SeatView) -> usize {
    let Some(legal) = &view.view().legal else {
        return 0;
    };
    legal.playable.len() + legal.acquirable.len() + legal.claimable.len()
}

fn decisions(c: &mut Criterion) {
    let all = mid_game();
    let mut busiest = all.clone();
    busiest.sort_by_key(|v| std::cmp::Reverse(legal_moves(v)));
    busiest.truncate((all.len() / 20).max(1));
    let mut group = c.benchmark_group("decision");
    for level in BotLevel::ALL {
        group.throughput(Throughput::Elements(all.len() as u64));
        group.bench_function(format!("{level}/mid_game_{}_positions", all.len()), |b| {
            b.iter(|| {
                for (i, view) in all.iter().enumerate() {
                    black_box(choose(black_box(view), level, i as u64));
                }
            })
        });
    }
    group.throughput(Throughput::Elements(busiest.len() as u64));
    group.bench_function(format!("strong/busiest_{}_positions", busiest.len()), |b| {
        b.iter(|| {
            for (i, view) in busiest.iter().enumerate() {
                black_box(choose(black_box(view), BotLevel::Strong, i as u64));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
