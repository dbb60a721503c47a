//! The arena: computer players of two levels play many games against each other, in process (no
//! server), and the tool prints each side's win rate with a 95 % confidence interval, its average
//! score and its decision time.
//!
//! Side A holds the even seats and side B the odd ones in even-numbered games; the sides swap in
//! odd-numbered games, so neither side keeps the first move. Game `i` uses seed `seed + i`.
//!
//! It also prints how long the games lasted (turns and rounds: p50, p90, p99 and the longest), and
//! fails (exit code 1) if a game did not end within the move limit or a command was refused.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use caravan::domain::computer::play_match;
use caravan::domain::BotLevel;

/// `arena` options.
#[derive(Debug, Clone, Args)]
pub struct ArenaArgs {
    /// Level of side A: easy, greedy or strong.
    #[arg(long = "a", value_parser = parse_level)]
    pub a: BotLevel,
    /// Level of side B.
    #[arg(long = "b", value_parser = parse_level)]
    pub b: BotLevel,
    /// Games to play.
    #[arg(long, default_value_t = 1000)]
    pub games: u32,
    /// Players per game, 2–5.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=5))]
    pub players: u8,
    /// Seed of the first game.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_level(s: &str) -> Result<BotLevel, String> {
    s.parse()
}

/// One side's tally.
#[derive(Debug, Clone, Default)]
pub struct SideStats {
    /// Games won.
    pub wins: u32,
    /// Sum of the side's seats' scores (for the average per seat).
    pub score_sum: u64,
    /// Seats played (games × seats of this side).
    pub seats: u64,
    /// Every decision's time, in microseconds.
    pub decisions_us: Vec<u64>,
}

/// The arena's result.
#[derive(Debug, Clone)]
pub struct ArenaReport {
    /// Games played.
    pub games: u32,
    /// Games that did not finish within the move limit.
    pub unfinished: u32,
    /// Games stopped by a command the rules refused (a computer player's defect).
    pub refused: u32,
    /// Each game's turns (turn actions, discards not counted).
    pub turns: Vec<u64>,
    /// Each game's last round.
    pub rounds: Vec<u64>,
    /// Side A, side B.
    pub sides: [SideStats; 2],
}

/// Commands after which a game counts as unfinished (far beyond the longest game seen: a few
/// hundred turns).
pub const MOVE_LIMIT: usize = 5_000;

/// Plays the games of `args`.
pub fn run(args: &ArenaArgs) -> ArenaReport {
    let mut sides = [SideStats::default(), SideStats::default()];
    let mut unfinished = 0;
    let mut refused = 0;
    let mut turns = Vec::with_capacity(args.games as usize);
    let mut rounds = Vec::with_capacity(args.games as usize);
    for i in 0..args.games {
        // side_of[seat]: 0 = A, 1 = B; alternated every game.
        let side_of: Vec<usize> = (0..args.players)
            .map(|seat| (usize::from(seat) + i as usize) % 2)
            .collect();
        let lineup: Vec<BotLevel> = side_of
            .iter()
            .map(|&s| if s == 0 { args.a } else { args.b })
            .collect();
        let result = play_match(
            &lineup,
            args.seed.wrapping_add(u64::from(i)),
            MOVE_LIMIT,
            |seat, decide| {
                let started = Instant::now();
                let command = decide();
                let us = started.elapsed().as_micros() as u64;
                sides[side_of[usize::from(seat)]].decisions_us.push(us);
                command
            },
        );
        turns.push(result.turns as u64);
        rounds.push(u64::from(result.rounds));
        if result.refused {
            refused += 1;
        }
        match result.winner {
            Some(winner) => sides[side_of[usize::from(winner)]].wins += 1,
            None => unfinished += 1,
        }
        for (seat, score) in result.scores.iter().enumerate() {
            let side = &mut sides[side_of[seat]];
            side.score_sum += u64::from(*score);
            side.seats += 1;
        }
    }
    ArenaReport {
        games: args.games,
        unfinished,
        refused,
        turns,
        rounds,
        sides,
    }
}

/// The Wilson score interval of `wins` in `n` at 95 %, as (low, high).
pub fn wilson(wins: u32, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let z = 1.959_964;
    let n = f64::from(n);
    let p = f64::from(wins) / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The report as printed.
pub fn render(args: &ArenaArgs, report: &ArenaReport) -> String {
    let mut out = format!(
        "arena: {} games, {} players, seeds {}..{}, seats alternated\n",
        report.games,
        args.players,
        args.seed,
        args.seed.wrapping_add(u64::from(report.games))
    );
    out.push_str("side  level   wins   win rate  95% CI            avg score  decisions  p50 ms  p99 ms  max ms\n");
    for (name, level, side) in [
        ("A", args.a, &report.sides[0]),
        ("B", args.b, &report.sides[1]),
    ] {
        let (low, high) = wilson(side.wins, report.games);
        let mut times = side.decisions_us.clone();
        times.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        out.push_str(&format!(
            "{name:<5} {level:<7} {wins:>5}  {rate:>7.1} %  [{low:>5.1}, {high:>5.1}] %  {avg:>9.1}  {n:>9}  {p50:>6.2}  {p99:>6.2}  {max:>6.2}\n",
            level = level.as_str(),
            wins = side.wins,
            rate = 100.0 * f64::from(side.wins) / f64::from(report.games.max(1)),
            low = 100.0 * low,
            high = 100.0 * high,
            avg = side.score_sum as f64 / side.seats.max(1) as f64,
            n = times.len(),
            p50 = ms(percentile(&times, 0.5)),
            p99 = ms(percentile(&times, 0.99)),
            max = ms(times.last().copied().unwrap_or(0)),
        ));
    }
    for (name, lengths) in [("turns", &report.turns), ("rounds", &report.rounds)] {
        let mut sorted = lengths.clone();
        sorted.sort_unstable();
        out.push_str(&format!(
            "game length in {name:<6}  p50 {:>5}  p90 {:>5}  p99 {:>5}  max {:>5}\n",
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.9),
            percentile(&sorted, 0.99),
            sorted.last().copied().unwrap_or(0),
        ));
    }
    if report.unfinished > 0 {
        out.push_str(&format!(
            "{} games did not finish within the move limit\n",
            report.unfinished
        ));
    }
    if report.refused > 0 {
        out.push_str(&format!(
            "{} games stopped on a refused command\n",
            report.refused
        ));
    }
    out
}

/// Runs the arena and prints its report.
pub fn main(args: ArenaArgs) -> ExitCode {
    let report = run(&args);
    print!("{}", render(&args, &report));
    if report.unfinished > 0 || report.refused > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_interval_holds_the_rate_and_narrows_with_more_games() {
        let (low, high) = wilson(60, 100);
        assert!(low < 0.6 && 0.6 < high);
        let (low2, high2) = wilson(600, 1000);
        assert!(high2 - low2 < high - low);
        assert_eq!(wilson(0, 0), (0.0, 0.0));
    }

    #[test]
    fn every_game_is_won_by_one_side_and_seats_alternate() {
        let args = ArenaArgs {
            a: BotLevel::Easy,
            b: BotLevel::Greedy,
            games: 4,
            players: 3,
            seed: 5,
        };
        let report = run(&args);
        assert_eq!(report.unfinished, 0);
        assert_eq!(report.refused, 0);
        assert_eq!(report.turns.len(), 4);
        assert!(report.turns.iter().all(|&t| t > 0));
        assert!(report
            .rounds
            .iter()
            .zip(&report.turns)
            .all(|(r, t)| r * 3 >= *t));
        assert_eq!(report.sides[0].wins + report.sides[1].wins, 4);
        // 3 seats × 4 games, split 2/1 then 1/2
        assert_eq!(report.sides[0].seats, 6);
        assert_eq!(report.sides[1].seats, 6);
        let text = render(&args, &report);
        assert!(text.contains("greedy"));
        assert!(text.contains("game length in turns"));
    }
}
