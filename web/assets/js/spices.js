// Spices drawn as cubes: a small cube in the spice's colour with its letter on the front face, so no
// reader depends on colour alone.
import { h, s } from './dom.js';

/** Low to high, as the rules order them. */
export const SPICES = ['yellow', 'red', 'green', 'brown'];
export const LETTER = { yellow: 'Y', red: 'R', green: 'G', brown: 'B' };
export const NAME = { yellow: 'yellow (turmeric)', red: 'red (saffron)', green: 'green (cardamom)', brown: 'brown (cinnamon)' };
const FROM_LETTER = { Y: 'yellow', R: 'red', G: 'green', B: 'brown' };

/** A multiset {yellow, red, green, brown} with missing keys as 0. */
export function spices(obj) {
  const s = { yellow: 0, red: 0, green: 0, brown: 0 };
  if (obj) for (const k of SPICES) s[k] = Number(obj[k] || 0);
  return s;
}

export function total(s) {
  return SPICES.reduce((n, k) => n + (s ? Number(s[k] || 0) : 0), 0);
}

/** {yellow:2, green:1} → ['yellow','yellow','green'] in spice order. */
export function toList(s) {
  const out = [];
  for (const k of SPICES) for (let i = 0; i < Number((s && s[k]) || 0); i++) out.push(k);
  return out;
}

export function fromList(list) {
  const s = spices();
  for (const k of list) s[k] += 1;
  return s;
}

/** "YYG" for a multiset or a list. */
export function letters(s) {
  const list = Array.isArray(s) ? s : toList(s);
  return list.map((k) => LETTER[k] || '?').join('');
}

/** "YYR" → {yellow:2, red:1, …}. */
export function parseLetters(str) {
  const s = spices();
  for (const ch of String(str || '').toUpperCase()) if (FROM_LETTER[ch]) s[FROM_LETTER[ch]] += 1;
  return s;
}

/** Words for screen readers and titles: "2 yellow, 1 green" or "nothing". */
export function words(s) {
  const list = Array.isArray(s) ? fromList(s) : spices(s);
  const parts = SPICES.filter((k) => list[k] > 0).map((k) => `${list[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'no spices';
}

/** Front, top and side colours of each spice's cube. */
const SHADES = {
  yellow: ['#f0d400', '#fff27a', '#b39c00', '#000'],
  red: ['#d55e00', '#f08a3e', '#983f00', '#000'],
  green: ['#009e73', '#3cc99f', '#006a4c', '#000'],
  brown: ['#6b3f1d', '#9a6a45', '#40230e', '#fff'],
};

/** One cube: an oblique cube whose front face carries the spice's letter. */
export function cube(kind, extra = {}) {
  const [front, top, side, ink] = SHADES[kind] || ['#ccc', '#eee', '#999', '#000'];
  const edge = 'rgba(0,0,0,0.55)';
  return h(
    'span',
    { class: `cube cube-${kind}`, title: NAME[kind], 'aria-hidden': 'true', dataset: { spice: kind }, ...extra },
    s(
      'svg',
      { viewBox: '0 0 20 20', width: '100%', height: '100%', focusable: 'false' },
      s('polygon', { points: '1,6 6,1 19,1 14,6', fill: top, stroke: edge, 'stroke-width': 0.8, 'stroke-linejoin': 'round' }),
      s('polygon', { points: '14,6 19,1 19,14 14,19', fill: side, stroke: edge, 'stroke-width': 0.8, 'stroke-linejoin': 'round' }),
      s('rect', { x: 1, y: 6, width: 13, height: 13, rx: 1, fill: front, stroke: edge, 'stroke-width': 0.8 }),
      s('text', { x: 7.5, y: 16.2, 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 800, fill: ink, 'font-family': 'system-ui, sans-serif' }, LETTER[kind]),
    ),
  );
}

/**
 * A row of cubes with one accessible label for the whole group. `fresh` (a multiset) marks the cubes
 * that just arrived: the last ones of each colour get the class `cube-new`.
 */
export function cubes(s, { empty = '—', label, fresh = null } = {}) {
  const list = Array.isArray(s) ? s : toList(s);
  const text = label || words(Array.isArray(s) ? fromList(s) : s);
  const left = fresh ? spices(fresh) : null;
  const drawn = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const k = list[i];
    const isNew = left && left[k] > 0;
    if (isNew) left[k] -= 1;
    drawn.unshift(cube(k, isNew ? { class: `cube cube-${k} cube-new` } : {}));
  }
  return h(
    'span',
    { class: 'cubes', role: 'img', 'aria-label': text, title: text },
    drawn.length ? drawn : h('span', { class: 'cubes-empty', 'aria-hidden': 'true' }, empty),
  );
}
