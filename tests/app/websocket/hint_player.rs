//! A test player that knows only what a client knows: the `state` it was sent. It turns the legal
//! hints of its view and its caravan into one concrete command, chosen at random, preferring claims
//! so that games end.

use caravan::domain::rng::Rng;
use caravan::domain::{CardKind, Command, GameView, LegalHints, Spice, Spices};
use serde_json::Value;

/// A command the hints allow, or `None` when the view has no hints (not this viewer's turn).
pub fn choose(state: &Value, rng: &mut Rng) -> Option<Value> {
    let view: GameView = serde_json::from_value(state.clone()).expect("a state is a GameView");
    let hints = view.legal.as_ref()?;
    let seat = view.viewer_seat?;
    let caravan = view
        .players
        .iter()
        .find(|p| p.seat == seat)
        .map(|p| p.caravan)
        .expect("the viewer is seated");
    let command = pick(hints, caravan, view.merchant_row.len(), rng);
    Some(serde_json::to_value(command).expect("a command serialises"))
}

fn pick(hints: &LegalHints, caravan: Spices, row: usize, rng: &mut Rng) -> Command {
    if let Some(owed) = hints.discard_owed {
        let cubes = caravan.to_list();
        return Command::Discard {
            spices: Spices::from_list(&cubes[..usize::from(owed)]),
        };
    }
    if !hints.claimable.is_empty() {
        let slot = hints.claimable[rng.below(hints.claimable.len() as u64) as usize];
        return Command::Claim { slot };
    }
    if !hints.acquirable.is_empty() && (hints.playable.is_empty() || rng.below(100) < 20) {
        let slot = hints.acquirable[rng.below(hints.acquirable.len() as u64) as usize];
        let payment = caravan.to_list()[..usize::from(slot)].to_vec();
        return Command::Acquire { slot, payment };
    }
    if !hints.playable.is_empty() && (!hints.can_rest || rng.below(100) < 85) {
        let hint = &hints.playable[rng.below(hints.playable.len() as u64) as usize];
        let (times, upgrades) = match hint.kind {
            CardKind::Spice => (1, Vec::new()),
            CardKind::Trade => {
                let max = u64::from(hint.max_times.unwrap_or(1).max(1));
                (1 + rng.below(max) as u32, Vec::new())
            }
            CardKind::Upgrade => (1, upgrades(caravan, hint.upgrade_steps.unwrap_or(0), rng)),
        };
        return Command::PlayCard {
            card_id: hint.card_id,
            upgrades,
            times,
        };
    }
    if hints.can_rest {
        return Command::Rest;
    }
    assert!(row > 0, "slot 0 of a non-empty market is always acquirable");
    Command::Acquire {
        slot: 0,
        payment: Vec::new(),
    }
}

/// Up to `steps` upgrades, each of a random cube that can still be upgraded.
fn upgrades(mut caravan: Spices, steps: u8, rng: &mut Rng) -> Vec<Spice> {
    let mut chosen = Vec::new();
    for _ in 0..steps {
        let candidates: Vec<Spice> = caravan
            .to_list()
            .into_iter()
            .filter(|s| s.upgraded().is_some())
            .collect();
        if candidates.is_empty() {
            break;
        }
        let spice = candidates[rng.below(candidates.len() as u64) as usize];
        let Some(up) = spice.upgraded() else { break };
        caravan.remove_one(spice);
        caravan.add_one(up);
        chosen.push(spice);
    }
    chosen
}
