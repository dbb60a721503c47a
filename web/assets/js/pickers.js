// Choosers for the parts of a command that the player picks: upgrade steps, trade times,
// acquire payment, discard. They only collect a choice; the server decides whether it is legal.
import { h, replace } from './dom.js';
import { SPICES, LETTER, cubes, spices, total } from './spices.js';
import { effectText } from './cards.js';

const NEXT = { yellow: 'red', red: 'green', green: 'brown' };

/** Open a modal <dialog>; `build(done, redraw)` returns its body; resolves with the value given to done(). */
function modal(title, build) {
  return new Promise((resolve) => {
    const body = h('div', { class: 'dialog-body' });
    const dlg = h('dialog', { class: 'picker', 'aria-labelledby': 'picker-title' }, h('h2', { id: 'picker-title' }, title), body);
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    // Redrawing replaces the buttons; keep keyboard focus on the same control (or the first usable one).
    const redraw = () => {
      const active = document.activeElement;
      const key = active && body.contains(active) ? active.getAttribute('aria-label') || active.textContent : null;
      replace(body, build(done, redraw));
      if (key === null) return;
      const same = [...body.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') || b.textContent) === key);
      const target = same && !same.disabled ? same : body.querySelector('button.primary:not([disabled])') || body.querySelector('button:not([disabled])');
      if (target) target.focus();
    };
    redraw();
    document.body.appendChild(dlg);
    dlg.showModal();
    const first = dlg.querySelector('button:not([disabled])');
    if (first) first.focus();
  });
}

/** Trade card: how many times. */
export function pickTimes(cardId, maxTimes) {
  return modal(`Trade ${effectText(cardId)}: how many times?`, (done) =>
    h(
      'div',
      {},
      h(
        'div',
        { class: 'choices', role: 'group', 'aria-label': 'Times' },
        Array.from({ length: Math.max(1, Number(maxTimes) || 1) }, (_, i) =>
          h('button', { class: 'primary', 'aria-label': `${i + 1} ×`, onclick: () => done(i + 1) }, `${i + 1}×`),
        ),
      ),
      h('div', { class: 'dialog-actions' }, h('button', { onclick: () => done(null) }, 'Cancel')),
    ),
  );
}

/** Upgrade card: up to `steps` single-level upgrades, in order. 0 steps is allowed. */
export function pickUpgrades(caravan, steps) {
  const chosen = [];
  let preview = spices(caravan);
  return modal(`Upgrade up to ${steps} step${steps === 1 ? '' : 's'}`, (done, redraw) => {
    const left = steps - chosen.length;
    return h(
      'div',
      {},
      h('p', {}, 'Caravan after these upgrades: ', cubes(preview, { empty: 'empty' })),
      h('p', { class: 'muted' }, chosen.length ? `Steps: ${chosen.map((k) => `${LETTER[k]}→${LETTER[NEXT[k]]}`).join(', ')}` : 'No steps chosen yet.', ` (${left} left)`),
      h(
        'div',
        { class: 'choices', role: 'group', 'aria-label': 'Upgrade a cube' },
        ['yellow', 'red', 'green'].map((k) =>
          h(
            'button',
            {
              class: `spice-btn spice-${k}`,
              disabled: left <= 0 || preview[k] <= 0,
              'aria-label': `Upgrade a ${k} cube to ${NEXT[k]}`,
              onclick: () => {
                chosen.push(k);
                preview = { ...preview, [k]: preview[k] - 1, [NEXT[k]]: preview[NEXT[k]] + 1 };
                redraw();
              },
            },
            `${LETTER[k]}→${LETTER[NEXT[k]]}`,
          ),
        ),
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        h(
          'button',
          {
            disabled: !chosen.length,
            onclick: () => {
              const k = chosen.pop();
              preview = { ...preview, [k]: preview[k] + 1, [NEXT[k]]: preview[NEXT[k]] - 1 };
              redraw();
            },
          },
          'Undo step',
        ),
        h('button', { onclick: () => done(null) }, 'Cancel'),
        h('button', { class: 'primary', onclick: () => done([...chosen]) }, `Play with ${chosen.length} step${chosen.length === 1 ? '' : 's'}`),
      ),
    );
  });
}

/** Acquire slot i: one cube on each card to its left, in slot order. */
export function pickPayment(caravan, slot, cardId) {
  const chosen = [];
  const have = spices(caravan);
  return modal(`Acquire ${effectText(cardId)}: place ${slot} cube${slot === 1 ? '' : 's'}`, (done, redraw) => {
    const used = spices();
    for (const k of chosen) used[k] += 1;
    const next = chosen.length;
    return h(
      'div',
      {},
      h('p', {}, 'One cube goes on each card to the left of the one you take.'),
      h(
        'ol',
        { class: 'payment-slots' },
        Array.from({ length: slot }, (_, i) =>
          h('li', {}, `Card ${i + 1}: `, chosen[i] ? cubes([chosen[i]]) : h('span', { class: 'muted' }, i === next ? 'choose…' : '—')),
        ),
      ),
      h(
        'div',
        { class: 'choices', role: 'group', 'aria-label': 'Cube to place' },
        SPICES.map((k) =>
          h(
            'button',
            {
              class: `spice-btn spice-${k}`,
              disabled: next >= slot || have[k] - used[k] <= 0,
              'aria-label': `Place a ${k} cube`,
              onclick: () => {
                chosen.push(k);
                redraw();
              },
            },
            `${LETTER[k]} (${have[k] - used[k]})`,
          ),
        ),
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { disabled: !chosen.length, onclick: () => (chosen.pop(), redraw()) }, 'Undo'),
        h('button', { onclick: () => done(null) }, 'Cancel'),
        h('button', { class: 'primary', disabled: chosen.length !== slot, onclick: () => done([...chosen]) }, 'Acquire'),
      ),
    );
  });
}

/** Discard exactly `owed` cubes of the player's choice. */
export function pickDiscard(caravan, owed) {
  const have = spices(caravan);
  const out = spices();
  return modal(`Discard ${owed} cube${owed === 1 ? '' : 's'}`, (done, redraw) => {
    const n = total(out);
    return h(
      'div',
      {},
      h('p', {}, `Chosen ${n} of ${owed}: `, cubes(out, { empty: 'none yet' })),
      h(
        'div',
        { class: 'counters' },
        SPICES.map((k) =>
          h(
            'div',
            { class: 'counter', role: 'group', 'aria-label': `${k} cubes to discard` },
            cubes([k]),
            h('button', { 'aria-label': `One ${k} fewer`, disabled: out[k] <= 0, onclick: () => ((out[k] -= 1), redraw()) }, '−'),
            h('output', { 'aria-live': 'polite' }, `${out[k]} of ${have[k]}`),
            h('button', { 'aria-label': `Discard one more ${k}`, disabled: out[k] >= have[k] || n >= owed, onclick: () => ((out[k] += 1), redraw()) }, '+'),
          ),
        ),
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { onclick: () => done(null) }, 'Cancel'),
        h('button', { class: 'primary', disabled: n !== owed, onclick: () => done({ ...out }) }, 'Discard'),
      ),
    );
  });
}
