//! The easy level: a random legal move, but never a point card passed up.
//!
//! It claims a point card whenever it can pay for one (any of them), so that its games end; else
//! it picks the kind of move at random (play, acquire or rest) and then a move of that kind, so
//! that the many ways to pay for an acquire or to play an upgrade do not make it hoard cards.

use crate::domain::commands::Command;
use crate::domain::rng::Rng;

/// Easy's move: a point card when it can pay for one (any of them), else a random kind of move
/// (play, acquire or rest) and a random move of that kind.
pub(super) fn easy(mut legal: Vec<Command>, rng: &mut Rng) -> Command {
    let kind = |c: &Command| match c {
        Command::Claim { .. } => 0,
        Command::PlayCard { .. } => 1,
        Command::Acquire { .. } => 2,
        _ => 3,
    };
    let claims: Vec<usize> = (0..legal.len()).filter(|&i| kind(&legal[i]) == 0).collect();
    if !claims.is_empty() {
        let i = claims[rng.below(claims.len() as u64) as usize];
        return legal.swap_remove(i);
    }
    let mut kinds: Vec<u8> = legal.iter().map(kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let chosen = kinds[rng.below(kinds.len() as u64) as usize];
    let of_kind: Vec<usize> = (0..legal.len())
        .filter(|&i| kind(&legal[i]) == chosen)
        .collect();
    let i = of_kind[rng.below(of_kind.len() as u64) as usize];
    legal.swap_remove(i)
}
