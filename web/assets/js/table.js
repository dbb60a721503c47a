// Draws a game view (the server's GameView) as the table. Pure drawing: every decision about what is
// legal comes from `view.legal`, which the server sends only to the player whose turn it is.
import { h } from './dom.js';
import { cubes, spices, total, words } from './spices.js';
import { coin, effectText, effectWords, merchantFace, pointFace, pointWords, sortMerchant } from './cards.js';
import { breakdown, cardsToEnd, partsText } from './score.js';

const NEXT = { yellow: 'red', red: 'green', green: 'brown' };

/**
 * @param {object} view  the GameView
 * @param {object} opts
 * @param {function|null} opts.onAction  (action) => void; null draws a read-only table (spectator, replay)
 * @param {boolean} opts.busy  a command is on its way: buttons are disabled
 * @param {object|null} opts.lastMove  the last action event ({type, data}): what it moved is highlighted
 * @param {boolean} opts.status  draw a status line (whose turn, round); the game page has its own turn bar
 */
export function renderTable(view, { onAction = null, busy = false, lastMove = null, status = true } = {}) {
  if (!view) return h('p', { class: 'muted' }, 'No table yet.');
  const legal = onAction && view.legal ? view.legal : null;
  const act = (action) => () => onAction && !busy && onAction(action);
  const me = view.viewerSeat ?? null;
  const capacity = (view.rules && (view.rules.caravanCapacity ?? view.rules.caravan_capacity)) || 10;
  const moved = movedBy(lastMove, view);

  if (view.status === 'waiting') {
    return h('div', { class: 'table', dataset: { status: 'waiting' } }, status ? statusBar(view, me) : null, playersArea(view, me, capacity, moved));
  }
  return h(
    'div',
    { class: 'table', dataset: { status: view.status || '', currentSeat: view.currentSeat ?? '' } },
    status ? statusBar(view, me) : null,
    me !== null ? myArea(view, me, legal, act, busy, capacity, moved) : null,
    pointRow(view, legal, act, busy, moved),
    merchantRow(view, legal, act, busy, moved),
    playersArea(view, me, capacity, moved),
  );
}

/** The name of a seat in this view. */
export function nameOf(view, seat) {
  const p = (view.players || []).find((x) => Number(x.seat) === Number(seat));
  return p ? p.name : `Seat ${Number(seat) + 1}`;
}

/**
 * What the last action moved, as lookups the drawing asks: cards by place, cubes that arrived in a
 * caravan, cubes that left it, cubes placed on market cards, cards that slid into a row.
 */
function movedBy(ev, view) {
  const none = { seat: null, card: () => false, fresh: () => null, spent: () => null, placed: () => false, revealed: () => false, coin: () => false };
  if (!ev || !ev.type || view.status === 'waiting') return none;
  const d = ev.data || {};
  const seat = Number(d.seat);
  const m = { ...none, seat };
  const at = (where, id) => (w, s, card) => w === where && s === seat && card === id;
  switch (ev.type) {
    case 'CardPlayed': {
      m.card = at('played', d.cardId);
      let gained = spices(d.gained);
      if (!total(gained) && (d.upgrades || []).length) {
        gained = spices();
        for (const k of d.upgrades) if (NEXT[k]) gained[NEXT[k]] += 1;
      }
      m.fresh = (s) => (s === seat ? gained : null);
      m.spent = (s) => (s === seat && total(d.paid) ? spices(d.paid) : null);
      break;
    }
    case 'ItemAcquired': {
      m.card = (w, s, card) => (w === 'hand' || w === 'mine') && s === seat && card === d.cardId;
      m.fresh = (s) => (s === seat && total(d.cubesTaken) ? spices(d.cubesTaken) : null);
      const paid = (d.payment || []).length;
      m.spent = (s) => (s === seat && paid ? spices(fromPayment(d.payment)) : null);
      m.placed = (slot) => slot < paid;
      m.revealed = (row, slot) => row === 'merchant' && d.revealed && (view.merchantRow || [])[slot] && view.merchantRow[slot].cardId === d.revealed;
      break;
    }
    case 'ClaimCompleted':
      m.card = at('claimed', d.cardId);
      m.spent = (s) => (s === seat ? spices(d.paid) : null);
      m.coin = (s, kind) => s === seat && d.coin === kind;
      m.revealed = (row, slot) => row === 'point' && d.revealed && (view.pointRow || [])[slot] && view.pointRow[slot].cardId === d.revealed;
      break;
    case 'PlayerRested': {
      const back = new Set(d.returned || []);
      m.card = (w, s, card) => (w === 'hand' || w === 'mine') && s === seat && back.has(card);
      break;
    }
    case 'SpicesDiscarded':
      m.spent = (s) => (s === seat ? spices(d.spices) : null);
      break;
    default:
      return none;
  }
  return m;
}

/**
 * A card button's content: its name in words for screen readers, and the drawn face (hidden from
 * them), so the name is the words and nothing on the face contradicts it.
 */
function named(label, face) {
  face.setAttribute('aria-hidden', 'true');
  return [h('span', { class: 'visually-hidden' }, label), face];
}

function fromPayment(list) {
  const s = spices();
  for (const k of list || []) if (k in s) s[k] += 1;
  return s;
}

function statusBar(view, me) {
  const items = [];
  if (view.status === 'waiting') {
    items.push(h('span', { class: 'pill' }, `Waiting for players: ${(view.players || []).length} of ${view.numPlayers}`));
  } else if (view.status === 'finished') {
    const w = view.winner;
    items.push(h('span', { class: 'pill pill-strong', 'data-testid': 'winner' }, w === null || w === undefined ? 'Game over' : `Game over — ${nameOf(view, w)} wins`));
  } else if (view.status === 'active') {
    const mine = me !== null && Number(view.currentSeat) === Number(me);
    items.push(h('span', { class: `pill ${mine ? 'pill-turn' : ''}` }, mine ? 'Your turn' : `${nameOf(view, view.currentSeat)}'s turn`));
    if (view.awaitingDiscard) items.push(h('span', { class: 'pill pill-warn' }, `${nameOf(view, view.currentSeat)} must discard ${view.awaitingDiscard}`));
  }
  if (view.status !== 'waiting') {
    items.push(h('span', { class: 'pill' }, `Round ${view.round ?? 0}`));
    if (view.endTriggered && view.status === 'active') items.push(h('span', { class: 'pill pill-warn' }, 'Last round'));
  }
  return h('div', { class: 'status-bar' }, items);
}

function coinBadge(view, slot) {
  if (!slot.coin) return null;
  const left = slot.coin === 'gold' ? view.goldLeft : view.silverLeft;
  return coin(slot.coin, left, `${slot.coin} coin with this card (${left} left)`);
}

function pointRow(view, legal, act, busy, moved) {
  const claimable = new Set(((legal && legal.claimable) || []).map(Number));
  const row = (view.pointRow || []).map((slot, i) => {
    const can = claimable.has(i);
    const words = pointWords(slot.cardId, slot.cost, slot.points);
    const label = `Claim ${words}${slot.coin ? ` and a ${slot.coin} coin` : ''} (slot ${i + 1})`;
    const face = pointFace(slot.cardId, slot.cost, slot.points);
    const isNew = moved.revealed('point', i);
    const cls = `card point-card ${can ? 'legal' : ''} ${isNew ? 'moved revealed' : ''}`;
    return h(
      'li',
      { class: 'slot', dataset: { slot: i, cardId: slot.cardId } },
      can
        ? h('button', { class: cls, title: `${slot.cardId}: ${words}`, disabled: busy, onclick: act({ kind: 'claim', slot: i }) }, named(label, face))
        : h('div', { class: cls, 'aria-label': `${words}${isNew ? ' (new)' : ''}`, title: `${slot.cardId}: ${words}`, role: 'img' }, face),
      h('span', { class: 'under' }, coinBadge(view, slot)),
    );
  });
  return h(
    'section',
    { class: 'area points-area', 'aria-labelledby': 'h-points' },
    h('h2', { id: 'h-points' }, 'Point cards ', h('small', { class: 'muted' }, `${view.pointDeckCount ?? '?'} in the deck`)),
    h('ol', { class: 'row point-row', tabindex: 0, 'aria-label': 'Point cards on the table' }, row),
  );
}

function merchantRow(view, legal, act, busy, moved) {
  const acquirable = new Set(((legal && legal.acquirable) || []).map(Number));
  const row = (view.merchantRow || []).map((slot, i) => {
    const can = acquirable.has(i);
    const lying = spices(slot.cubes);
    const costText = i === 0 ? 'free' : `costs ${i} cube${i === 1 ? '' : 's'}`;
    const label = `Acquire ${effectText(slot.cardId)} (${effectWords(slot.cardId)}; slot ${i + 1}, ${costText}${total(lying) ? `; ${total(lying)} cubes on it` : ''})`;
    const face = merchantFace(slot.cardId);
    const isNew = moved.revealed('merchant', i);
    const cls = `card merchant-card ${can ? 'legal' : ''} ${isNew ? 'moved revealed' : ''}`;
    const placed = moved.placed(i);
    return h(
      'li',
      { class: 'slot', dataset: { slot: i, cardId: slot.cardId } },
      h(
        'span',
        { class: 'card-wrap' },
        can
          ? h('button', { class: cls, title: `${slot.cardId}: ${effectWords(slot.cardId)}`, disabled: busy, onclick: act({ kind: 'acquire', slot: i, cardId: slot.cardId }) }, named(label, face))
          : h('div', { class: cls, role: 'img', 'aria-label': `${effectWords(slot.cardId)}${isNew ? ' (new)' : ''}`, title: `${slot.cardId}: ${effectWords(slot.cardId)}` }, face),
        total(lying)
          ? h('span', { class: `lying ${placed ? 'moved' : ''}` }, cubes(lying, { label: `cubes on it: ${words(lying)}`, fresh: placed ? lastOfEach(lying) : null }))
          : null,
      ),
      h('small', { class: 'muted cost under' }, costText),
    );
  });
  return h(
    'section',
    { class: 'area merchants-area', 'aria-labelledby': 'h-merchants' },
    h('h2', { id: 'h-merchants' }, 'Merchant cards ', h('small', { class: 'muted' }, `${view.merchantDeckCount ?? '?'} in the deck`)),
    h('ol', { class: 'row merchant-row', tabindex: 0, 'aria-label': 'Merchant cards on the table' }, row),
  );
}

/** One cube was placed on each card left of an acquired one: mark one cube of that slot as new. */
function lastOfEach(lying) {
  const list = [];
  for (const k of ['brown', 'green', 'red', 'yellow']) if (lying[k] > 0) list.push(k);
  const s = spices();
  if (list.length) s[list[list.length - 1]] = 1;
  return s;
}

function miniMerchant(id, isMoved) {
  return h('li', { class: `mini ${isMoved ? 'moved' : ''}`, title: `${id}: ${effectWords(id)}`, dataset: { cardId: id } }, merchantFace(id));
}

function miniPoint(id, isMoved) {
  return h('li', { class: `mini ${isMoved ? 'moved' : ''}`, title: `${id}: ${pointWords(id)}`, dataset: { cardId: id } }, pointFace(id));
}

/** The caravan with its cubes, the cubes that just arrived marked, and those that just left shown beside it. */
function caravanLine(p, capacity, moved) {
  const seat = Number(p.seat);
  const spent = moved.spent(seat);
  const fresh = moved.fresh(seat);
  return h(
    'div',
    { class: 'caravan' },
    h('span', { class: 'label' }, `Caravan ${total(p.caravan)}/${capacity}`),
    cubes(spices(p.caravan), { empty: 'empty', fresh }),
    spent && total(spent) ? h('span', { class: 'spent moved', 'data-testid': 'spent' }, h('span', { class: 'op', 'aria-hidden': 'true' }, '−'), cubes(spent, { label: `just spent: ${words(spent)}` })) : null,
  );
}

function myArea(view, me, legal, act, busy, capacity, moved) {
  const p = (view.players || []).find((x) => Number(x.seat) === Number(me));
  if (!p) return null;
  const playable = new Map(((legal && legal.playable) || []).map((x) => [x.cardId, x]));
  const hand = sortMerchant(p.hand || []).map((id) => {
    const hint = playable.get(id);
    const isMoved = moved.card('mine', Number(me), id);
    return h(
      'li',
      { dataset: { cardId: id } },
      h(
        'button',
        {
          class: `card merchant-card ${hint ? 'legal' : ''} ${isMoved ? 'moved' : ''}`,
          disabled: !hint || busy,
          title: `${id}: ${effectWords(id)}`,
          onclick: act({ kind: 'play', cardId: id, hint }),
        },
        named(`Play ${effectText(id)} (${effectWords(id)})`, merchantFace(id)),
      ),
    );
  });
  const owed = legal && legal.discardOwed ? Number(legal.discardOwed) : 0;
  const actions = [];
  if (owed) {
    actions.push(
      h('p', { class: 'notice' }, `Your caravan holds ${total(p.caravan)} cubes; the limit is ${capacity}. Discard ${owed} to end your turn.`),
      h('button', { class: 'primary', disabled: busy, onclick: act({ kind: 'discard', owed }) }, `Discard ${owed} cube${owed === 1 ? '' : 's'}…`),
    );
  }
  if (legal && legal.canRest) actions.push(h('button', { disabled: busy, onclick: act({ kind: 'rest' }) }, 'Rest (take back played cards)'));
  return h(
    'section',
    { class: 'area mine', 'aria-labelledby': 'h-mine' },
    h('h2', { id: 'h-mine' }, 'Your caravan and hand'),
    caravanLine(p, capacity, moved),
    h('h3', {}, `Hand (${hand.length})`),
    h('ul', { class: 'row hand', 'aria-label': 'Your hand' }, hand.length ? hand : h('li', { class: 'muted' }, 'no cards')),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

/** A seat held by the computer: the view gives its level in `bot` (null for a person). */
export function isComputer(p) {
  return !!(p && p.bot);
}

function playersArea(view, me, capacity, moved) {
  const goal = cardsToEnd(view);
  const players = (view.players || []).map((p) => {
    const seat = Number(p.seat);
    const turn = view.status === 'active' && Number(view.currentSeat) === seat;
    const b = breakdown(p);
    const claimed = (p.claimed || []).length;
    return h(
      'article',
      { class: `player ${turn ? 'to-move' : ''} ${p.left ? 'left' : ''} ${moved.seat === seat ? 'last-mover' : ''}`, 'aria-label': `${p.name}, seat ${seat + 1}`, dataset: { seat: p.seat } },
      h(
        'header',
        {},
        h('strong', { class: 'pname' }, p.name),
        me !== null && seat === Number(me) ? h('span', { class: 'tag' }, 'you') : null,
        isComputer(p) ? h('span', { class: 'tag' }, 'computer') : null,
        turn ? h('span', { class: 'tag tag-turn' }, 'to move') : null,
        p.left ? h('span', { class: 'tag' }, 'left') : null,
        Number(p.timeouts) > 0 ? h('span', { class: 'tag tag-warn', title: 'Turns in a row this seat let the clock run out' }, `timed out ${p.timeouts}×`) : null,
        h('span', { class: 'score', 'data-testid': 'score' }, `${b.total} pts`),
      ),
      h(
        'p',
        { class: 'score-parts', 'data-testid': 'score-parts' },
        h('span', {}, partsText(b)),
        h('span', { class: `claimed-count ${claimed >= goal ? 'done' : ''}`, 'data-testid': 'claimed-count' }, `claimed ${claimed}/${goal}`),
      ),
      caravanLine(p, capacity, moved),
      h('div', { class: 'coins' }, ['gold', 'silver'].map((k) => marked(coin(k, p[k] || 0, `${p[k] || 0} ${k} coins`), moved.coin(seat, k)))),
      pile('Claimed', (p.claimed || []).map((id) => miniPoint(id, moved.card('claimed', seat, id))), 'claimed'),
      pile('Hand', sortMerchant(p.hand || []).map((id) => miniMerchant(id, moved.card('hand', seat, id))), 'hand'),
      pile('Played', (p.played || []).map((id) => miniMerchant(id, moved.card('played', seat, id))), 'played'),
    );
  });
  return h('section', { class: 'area players-area', 'aria-labelledby': 'h-players' }, h('h2', { id: 'h-players' }, 'Players'), h('div', { class: 'players' }, players));
}

function marked(el, on) {
  if (on) el.classList.add('moved');
  return el;
}

function pile(title, items, kind) {
  return h('div', { class: `pile pile-${kind}` }, h('span', { class: 'label' }, `${title} (${items.length})`), h('ul', { class: 'minis' }, items));
}
