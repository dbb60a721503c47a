// The card catalogue (GET /api/cards) and how a card's effect is drawn.
// The catalogue only describes cards; what may be played always comes from the server's `legal` hints.
import { h } from './dom.js';
import { cubes, letters, parseLetters, spices, total } from './spices.js';

const merchant = new Map();
const point = new Map();

/** Load the catalogue once; tolerant of the exact JSON shape (array or grouped object). */
export async function loadCatalogue() {
  if (merchant.size) return;
  try {
    const res = await fetch('/api/cards');
    if (!res.ok) return;
    ingest(await res.json());
  } catch {
    // Without a catalogue, cards are drawn from their ids and labels; the table still works.
  }
}

function ingest(data) {
  const all = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.id === 'string' && /^[SMP]\d+$/.test(v.id)) all.push(v);
      else Object.values(v).forEach(walk);
    }
  };
  walk(data);
  for (const c of all) {
    if (c.id.startsWith('P')) point.set(c.id, normPoint(c));
    else merchant.set(c.id, normMerchant(c));
  }
}

function normPoint(c) {
  return { id: c.id, cost: spices(c.cost || parseLetters(c.label)), points: Number(c.points || 0), label: c.label };
}

function normMerchant(c) {
  let kind = c.kind ?? c.type;
  let body = c;
  if (kind && typeof kind === 'object') {
    if (typeof kind.type === 'string') {
      body = kind;
      kind = kind.type;
    } else {
      const key = Object.keys(kind)[0];
      body = kind[key] || {};
      kind = key;
    }
  }
  kind = String(kind || guessKind(c.label)).toLowerCase();
  const card = { id: c.id, kind, label: c.label || c.id };
  if (kind === 'spice') card.gain = spices(body.gain || c.gain || parseLetters(String(c.label || '').replace('+', '')));
  if (kind === 'upgrade') card.steps = Number(body.steps ?? body.upgrades ?? c.steps ?? c.upgrades ?? labelSteps(c.label));
  if (kind === 'trade') {
    const [i, o] = String(c.label || '').split(/->|→/);
    card.input = spices(body.input || c.input || parseLetters(i));
    card.output = spices(body.output || c.output || parseLetters(o));
  }
  return card;
}

function guessKind(label = '') {
  if (/upgrade/i.test(label)) return 'upgrade';
  if (/->|→/.test(label)) return 'trade';
  return 'spice';
}

function labelSteps(label = '') {
  const m = /(\d+)/.exec(label);
  return m ? Number(m[1]) : 2;
}

const STARTING = {
  S01: { id: 'S01', kind: 'spice', label: '+YY', gain: spices({ yellow: 2 }) },
  S02: { id: 'S02', kind: 'upgrade', label: 'upgrade x2', steps: 2 },
};

/** The merchant card with this id, normalised: {id, kind, gain|steps|input+output, label}. */
export function merchantCard(id) {
  return merchant.get(id) || STARTING[id] || { id, kind: 'unknown', label: id };
}

export function pointCard(id) {
  return point.get(id) || null;
}

/** A short text of what a merchant card does: "+YY", "upgrade 2", "YY→G". */
export function effectText(id) {
  const c = merchantCard(id);
  if (c.kind === 'spice') return `+${letters(c.gain)}`;
  if (c.kind === 'upgrade') return `upgrade ${c.steps}`;
  if (c.kind === 'trade') return `${letters(c.input)}→${letters(c.output)}`;
  return c.label;
}

/** Words for a screen reader: "trade: pay 2 yellow, get 1 green". */
export function effectWords(id) {
  const c = merchantCard(id);
  if (c.kind === 'spice') return `spice card: gain ${letters(c.gain).split('').join(' ')}`;
  if (c.kind === 'upgrade') return `upgrade card: up to ${c.steps} upgrade steps`;
  if (c.kind === 'trade') return `trade card: pay ${letters(c.input).split('').join(' ')}, get ${letters(c.output).split('').join(' ')}`;
  return `card ${id}`;
}

/** The drawn face of a merchant card (effect only; the caller wraps it in a button or a div). */
export function merchantFace(id) {
  const c = merchantCard(id);
  let body;
  if (c.kind === 'spice') body = h('span', { class: 'effect effect-spice' }, h('span', { class: 'op' }, '+'), cubes(c.gain));
  else if (c.kind === 'upgrade')
    body = h('span', { class: 'effect effect-upgrade' }, h('span', { class: 'op upgrade-arrow', 'aria-hidden': 'true' }, '⇧'), h('span', { class: 'steps' }, `×${c.steps}`));
  else if (c.kind === 'trade')
    body = h('span', { class: 'effect effect-trade' }, cubes(c.input), h('span', { class: 'op arrow', 'aria-hidden': 'true' }, '→'), cubes(c.output));
  else body = h('span', { class: 'effect' }, c.label);
  return h('span', { class: `card-face merchant-${c.kind}` }, h('span', { class: 'card-kind' }, c.kind, ' ', h('small', {}, id)), body);
}

/** The drawn face of a point card (cost + points); cost/points may come from the view or the catalogue. */
export function pointFace(id, cost, points) {
  const cat = pointCard(id);
  const c = cost ? spices(cost) : cat ? cat.cost : null;
  const p = points ?? (cat ? cat.points : '?');
  return h(
    'span',
    { class: 'card-face point-face' },
    h('span', { class: 'points', 'aria-label': `${p} points` }, String(p)),
    c ? cubes(c) : h('span', {}, id),
    h('small', { class: 'card-id' }, id),
  );
}

export function pointWords(id, cost, points) {
  const cat = pointCard(id);
  const c = cost ? spices(cost) : cat ? cat.cost : null;
  const p = points ?? (cat ? cat.points : '?');
  return `${p} points for ${c ? letters(c).split('').join(' ') : id}`;
}

export { total };
