// Draws a game view (the server's GameView) as the table. Pure drawing: every decision about what is
// legal comes from `view.legal`, which the server sends only to the player whose turn it is.
import { h } from './dom.js';
import { cubes, spices, total } from './spices.js';
import { effectText, effectWords, merchantFace, pointFace, pointWords } from './cards.js';

/**
 * @param {object} view  the GameView
 * @param {object} opts
 * @param {function|null} opts.onAction  (action) => void; null draws a read-only table (spectator, replay)
 * @param {boolean} opts.busy  a command is on its way: buttons are disabled
 */
export function renderTable(view, { onAction = null, busy = false } = {}) {
  if (!view) return h('p', { class: 'muted' }, 'No table yet.');
  const legal = onAction && view.legal ? view.legal : null;
  const act = (action) => () => onAction && !busy && onAction(action);
  const me = view.viewerSeat ?? null;
  const capacity = (view.rules && (view.rules.caravanCapacity ?? view.rules.caravan_capacity)) || 10;

  if (view.status === 'waiting') {
    const missing = Number(view.numPlayers || 0) - (view.players || []).length;
    return h(
      'div',
      { class: 'table', dataset: { status: 'waiting' } },
      statusBar(view, me),
      h('p', { class: 'notice' }, `Waiting for ${missing} more player${missing === 1 ? '' : 's'}: they join from the lobby. The game starts when the last seat is taken.`),
      playersArea(view, me, capacity),
    );
  }
  return h(
    'div',
    { class: 'table', dataset: { status: view.status || '', currentSeat: view.currentSeat ?? '' } },
    statusBar(view, me),
    pointRow(view, legal, act, busy),
    merchantRow(view, legal, act, busy),
    me !== null ? myArea(view, me, legal, act, busy, capacity) : null,
    playersArea(view, me, capacity),
  );
}

function nameOf(view, seat) {
  const p = (view.players || []).find((x) => Number(x.seat) === Number(seat));
  return p ? p.name : `Seat ${Number(seat) + 1}`;
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
    items.push(
      h('span', { class: `pill ${mine ? 'pill-turn' : ''}`, 'data-testid': 'turn' }, mine ? 'Your turn' : `${nameOf(view, view.currentSeat)}'s turn`),
    );
    if (view.awaitingDiscard) items.push(h('span', { class: 'pill pill-warn' }, `${nameOf(view, view.currentSeat)} must discard ${view.awaitingDiscard}`));
  }
  if (view.status !== 'waiting') {
    items.push(h('span', { class: 'pill', 'data-testid': 'round' }, `Round ${view.round ?? 0}`));
    if (view.endTriggered && view.status === 'active') items.push(h('span', { class: 'pill pill-warn' }, 'Last round'));
    items.push(h('span', { class: 'pill muted' }, `Decks: ${view.merchantDeckCount ?? '?'} merchant, ${view.pointDeckCount ?? '?'} point`));
  }
  return h('div', { class: 'status-bar', role: 'status' }, items);
}

function coinBadge(view, slot) {
  const coin = slot.coin;
  if (!coin) return null;
  const left = coin === 'gold' ? view.goldLeft : view.silverLeft;
  return h('span', { class: `coin coin-${coin}`, title: `${coin} coin`, 'aria-label': `${coin} coin, ${left} left` }, coin === 'gold' ? 'G' : 'S', h('small', {}, `×${left}`));
}

function pointRow(view, legal, act, busy) {
  const claimable = new Set(((legal && legal.claimable) || []).map(Number));
  const row = (view.pointRow || []).map((slot, i) => {
    const can = claimable.has(i);
    const label = `Claim ${pointWords(slot.cardId, slot.cost, slot.points)}${slot.coin ? ` and a ${slot.coin} coin` : ''} (slot ${i + 1})`;
    const face = pointFace(slot.cardId, slot.cost, slot.points);
    return h(
      'li',
      { class: 'slot', dataset: { slot: i, cardId: slot.cardId } },
      can
        ? h('button', { class: 'card point-card legal', 'aria-label': label, disabled: busy, onclick: act({ kind: 'claim', slot: i }) }, face)
        : h('div', { class: 'card point-card', 'aria-label': pointWords(slot.cardId, slot.cost, slot.points), role: 'group' }, face),
      coinBadge(view, slot),
    );
  });
  return h('section', { class: 'area', 'aria-labelledby': 'h-points' }, h('h2', { id: 'h-points' }, 'Point cards'), h('ol', { class: 'row point-row' }, row));
}

function merchantRow(view, legal, act, busy) {
  const acquirable = new Set(((legal && legal.acquirable) || []).map(Number));
  const row = (view.merchantRow || []).map((slot, i) => {
    const can = acquirable.has(i);
    const lying = spices(slot.cubes);
    const costText = i === 0 ? 'free' : `costs ${i} cube${i === 1 ? '' : 's'}`;
    const label = `Acquire ${effectText(slot.cardId)} (${effectWords(slot.cardId)}; slot ${i + 1}, ${costText}${total(lying) ? `; ${total(lying)} cubes on it` : ''})`;
    const face = merchantFace(slot.cardId);
    return h(
      'li',
      { class: 'slot', dataset: { slot: i, cardId: slot.cardId } },
      can
        ? h('button', { class: 'card merchant-card legal', 'aria-label': label, disabled: busy, onclick: act({ kind: 'acquire', slot: i, cardId: slot.cardId }) }, face)
        : h('div', { class: 'card merchant-card', role: 'group', 'aria-label': effectWords(slot.cardId) }, face),
      h('span', { class: 'lying', 'aria-label': `cubes on it: ${total(lying)}` }, total(lying) ? cubes(lying) : null),
      h('small', { class: 'muted cost' }, costText),
    );
  });
  return h(
    'section',
    { class: 'area', 'aria-labelledby': 'h-merchants' },
    h('h2', { id: 'h-merchants' }, 'Merchant cards'),
    h('ol', { class: 'row merchant-row' }, row),
  );
}

function miniMerchant(id) {
  return h('li', { class: 'mini', title: effectWords(id), dataset: { cardId: id } }, merchantFace(id));
}

function miniPoint(id) {
  return h('li', { class: 'mini', title: pointWords(id), dataset: { cardId: id } }, pointFace(id));
}

function myArea(view, me, legal, act, busy, capacity) {
  const p = (view.players || []).find((x) => Number(x.seat) === Number(me));
  if (!p) return null;
  const playable = new Map(((legal && legal.playable) || []).map((x) => [x.cardId, x]));
  const hand = (p.hand || []).map((id) => {
    const hint = playable.get(id);
    return h(
      'li',
      { dataset: { cardId: id } },
      h(
        'button',
        {
          class: `card merchant-card ${hint ? 'legal' : ''}`,
          disabled: !hint || busy,
          'aria-label': `Play ${effectText(id)} (${effectWords(id)})`,
          onclick: act({ kind: 'play', cardId: id, hint }),
        },
        merchantFace(id),
      ),
    );
  });
  const owed = legal && legal.discardOwed ? Number(legal.discardOwed) : 0;
  const actions = [];
  if (owed) {
    actions.push(
      h('p', { class: 'notice', role: 'alert' }, `Your caravan holds ${total(p.caravan)} cubes; the limit is ${capacity}. Discard ${owed} to end your turn.`),
      h('button', { class: 'primary', disabled: busy, onclick: act({ kind: 'discard', owed }) }, `Discard ${owed} cube${owed === 1 ? '' : 's'}…`),
    );
  }
  if (legal && legal.canRest) actions.push(h('button', { disabled: busy, onclick: act({ kind: 'rest' }) }, 'Rest (take back played cards)'));
  return h(
    'section',
    { class: 'area mine', 'aria-labelledby': 'h-mine' },
    h('h2', { id: 'h-mine' }, 'You: ', p.name),
    h('div', { class: 'caravan' }, h('span', { class: 'label' }, `Caravan ${total(p.caravan)}/${capacity}`), cubes(spices(p.caravan), { empty: 'empty' })),
    h('h3', {}, 'Hand'),
    h('ul', { class: 'row hand', 'aria-label': 'Your hand' }, hand.length ? hand : h('li', { class: 'muted' }, 'no cards')),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

function playersArea(view, me, capacity) {
  const players = (view.players || []).map((p) => {
    const turn = view.status === 'active' && Number(view.currentSeat) === Number(p.seat);
    return h(
      'article',
      { class: `player ${turn ? 'to-move' : ''} ${p.left ? 'left' : ''}`, 'aria-label': `${p.name}, seat ${Number(p.seat) + 1}`, dataset: { seat: p.seat } },
      h(
        'header',
        {},
        h('strong', { class: 'pname' }, p.name),
        me !== null && Number(p.seat) === Number(me) ? h('span', { class: 'tag' }, 'you') : null,
        turn ? h('span', { class: 'tag tag-turn' }, 'to move') : null,
        p.left ? h('span', { class: 'tag' }, 'left') : null,
        h('span', { class: 'score', 'aria-label': `score ${p.score ?? 0}` }, `${p.score ?? 0} pts`),
      ),
      h(
        'div',
        { class: 'caravan' },
        h('span', { class: 'label' }, `Caravan ${total(p.caravan)}/${capacity}`),
        cubes(spices(p.caravan), { empty: 'empty' }),
      ),
      h(
        'div',
        { class: 'coins' },
        h('span', { class: 'coin coin-gold', 'aria-label': `${p.gold || 0} gold coins` }, 'G', h('small', {}, `×${p.gold || 0}`)),
        h('span', { class: 'coin coin-silver', 'aria-label': `${p.silver || 0} silver coins` }, 'S', h('small', {}, `×${p.silver || 0}`)),
      ),
      pile('Hand', (p.hand || []).map(miniMerchant)),
      pile('Played', (p.played || []).map(miniMerchant)),
      pile('Claimed', (p.claimed || []).map(miniPoint)),
    );
  });
  return h('section', { class: 'area', 'aria-labelledby': 'h-players' }, h('h2', { id: 'h-players' }, 'Players'), h('div', { class: 'players' }, players));
}

function pile(title, items) {
  return h('div', { class: 'pile' }, h('span', { class: 'label' }, `${title} (${items.length})`), h('ul', { class: 'minis' }, items));
}
