// The score explained: points on claimed cards + coins (gold 3, silver 1) + one per cube that is not
// yellow. The server sends only the total (and the parts in GameEnded); the parts are recomputed here
// from what the table shows, and agree with the server's total by the rules.
import { pointCard } from './cards.js';
import { spices } from './spices.js';

/** {cards, coins, cubes, total, gold, silver} for a player of the view. */
export function breakdown(p) {
  const cards = (p.claimed || []).reduce((n, id) => n + Number((pointCard(id) || {}).points || 0), 0);
  const gold = Number(p.gold || 0);
  const silver = Number(p.silver || 0);
  const c = spices(p.caravan);
  const cubes = c.red + c.green + c.brown;
  const total = Number(p.score ?? cards + 3 * gold + silver + cubes);
  return { cards, coins: 3 * gold + silver, cubes, total, gold, silver };
}

/** The same parts from a GameEnded score entry ({cards, gold, silver, cubes, total}). */
export function fromFinal(score) {
  const gold = Number(score.gold || 0);
  const silver = Number(score.silver || 0);
  return { cards: Number(score.cards || 0), coins: 3 * gold + silver, cubes: Number(score.cubes || 0), total: Number(score.total || 0), gold, silver };
}

/** "cards 9 + coins 3 + cubes 7". */
export function partsText(b) {
  return `cards ${b.cards} + coins ${b.coins} + cubes ${b.cubes}`;
}

/** Point cards that end the game, from the view's rules (6 for 2–3 players, 5 for 4–5 by default). */
export function cardsToEnd(view) {
  const r = (view && view.rules) || {};
  const n = Number(r.pointCardsToEnd ?? r.point_cards_to_end ?? 0);
  if (n > 0) return n;
  return Number(view && view.numPlayers) >= 4 ? 5 : 6;
}
