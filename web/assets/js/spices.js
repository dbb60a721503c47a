// Spices drawn as cubes: colour AND letter AND shape, so no reader depends on colour alone.
import { h } from './dom.js';

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

/** One cube. */
export function cube(kind, extra = {}) {
  return h('span', { class: `cube cube-${kind}`, title: NAME[kind], 'aria-hidden': 'true', ...extra }, LETTER[kind]);
}

/** A row of cubes with one accessible label for the whole group. */
export function cubes(s, { empty = '—', label } = {}) {
  const list = Array.isArray(s) ? s : toList(s);
  const text = label || words(Array.isArray(s) ? fromList(s) : s);
  return h(
    'span',
    { class: 'cubes', role: 'img', 'aria-label': text, title: text },
    list.length ? list.map((k) => cube(k)) : h('span', { class: 'cubes-empty', 'aria-hidden': 'true' }, empty),
  );
}
