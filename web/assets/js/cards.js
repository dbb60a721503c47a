// The card catalogue (GET /api/cards) and how a card's effect is drawn.
// The catalogue only describes cards; what may be played always comes from the server's `legal` hints.
import { h, s } from './dom.js';
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
      if (typeof v.cardId === 'string' && /^[SMP]\d+$/.test(v.cardId)) all.push({ ...v, id: v.cardId });
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

/** The band colour of each kind of card. */
const KIND_COLOUR = { spice: '#2e7d32', upgrade: '#5b3fb0', trade: '#8a5a00', point: '#7a2e1c', unknown: '#6a645c' };
const KIND_NAME = { spice: 'spice', upgrade: 'upgrade', trade: 'trade', unknown: 'card' };

/** A card's printed frame: paper, a coloured band at the top, an inner rule. Decoration only. */
function frame(kind) {
  const colour = KIND_COLOUR[kind] || KIND_COLOUR.unknown;
  const line = { 'vector-effect': 'non-scaling-stroke' };
  return s(
    'svg',
    { class: 'frame', viewBox: '0 0 100 140', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { x: 1, y: 1, width: 98, height: 138, rx: 7, ry: 5, fill: '#fffaf0', stroke: colour, 'stroke-width': 2, ...line }),
    s('path', { d: 'M1,7 Q1,1 8,1 H92 Q99,1 99,7 V24 H1 Z', fill: colour }),
    s('rect', { x: 6, y: 29, width: 88, height: 105, rx: 4, fill: 'none', stroke: colour, 'stroke-opacity': 0.35, 'stroke-width': 1, 'stroke-dasharray': '3 2', ...line }),
  );
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
  return h('span', { class: `card-face merchant-${c.kind}` }, frame(c.kind), h('span', { class: 'card-kind' }, KIND_NAME[c.kind] || c.kind), body);
}

/** The drawn face of a point card (cost + points); cost/points may come from the view or the catalogue. */
export function pointFace(id, cost, points) {
  const cat = pointCard(id);
  const c = cost ? spices(cost) : cat ? cat.cost : null;
  const p = points ?? (cat ? cat.points : '?');
  return h(
    'span',
    { class: 'card-face point-face' },
    frame('point'),
    h('span', { class: 'points' }, String(p)),
    c ? cubes(c) : null,
  );
}

/** A coin: a round token with its value (gold 3, silver 1) and, when given, how many. */
export function coin(kind, count, label) {
  const fill = kind === 'gold' ? '#e0b100' : '#b9c2cc';
  const rim = kind === 'gold' ? '#8a6a00' : '#5d6772';
  return h(
    'span',
    { class: `coin coin-${kind}`, role: 'img', title: label || `${kind} coin`, 'aria-label': label || `${kind} coin` },
    s(
      'svg',
      { class: 'coin-disc', viewBox: '0 0 20 20', 'aria-hidden': 'true', focusable: 'false' },
      s('circle', { cx: 10, cy: 10, r: 9, fill, stroke: rim, 'stroke-width': 1.5 }),
      s('circle', { cx: 10, cy: 10, r: 6.2, fill: 'none', stroke: rim, 'stroke-width': 0.8, 'stroke-opacity': 0.7 }),
      s('text', { x: 10, y: 13.6, 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 800, fill: '#1d1b18', 'font-family': 'system-ui, sans-serif' }, kind === 'gold' ? '3' : '1'),
    ),
    count === undefined ? null : h('small', {}, `×${count}`),
  );
}

/** Merchant cards in a stable, readable order: spice, upgrade, trade; cheaper effects first. */
export function sortMerchant(ids) {
  const order = { spice: 0, upgrade: 1, trade: 2 };
  const worth = (c) => {
    const v = (x) => (x ? x.yellow + 2 * x.red + 3 * x.green + 4 * x.brown : 0);
    if (c.kind === 'spice') return v(c.gain);
    if (c.kind === 'upgrade') return c.steps;
    if (c.kind === 'trade') return v(c.input) * 100 + v(c.output);
    return 0;
  };
  return [...ids]
    .map((id, i) => ({ id, i, c: merchantCard(id) }))
    .sort((a, b) => (order[a.c.kind] ?? 3) - (order[b.c.kind] ?? 3) || worth(a.c) - worth(b.c) || a.id.localeCompare(b.id) || a.i - b.i)
    .map((x) => x.id);
}

export function pointWords(id, cost, points) {
  const cat = pointCard(id);
  const c = cost ? spices(cost) : cat ? cat.cost : null;
  const p = points ?? (cat ? cat.points : '?');
  return `${p} points for ${c ? letters(c).split('').join(' ') : id}`;
}

export { total };
