// The game page: a sticky turn bar, one table, one WebSocket, the story so far, the results at the
// end, and the choosers for the player's actions.
import { h, s, replace, plural } from './dom.js';
import { api, ApiError } from './api.js';
import { GameSocket } from './socket.js';
import { isComputer, nameOf, renderTable } from './table.js';
import { Names, describe, eventList, normaliseEvent } from './describe.js';
import { merchantCard } from './cards.js';
import { pickDiscard, pickPayment, pickTimes, pickUpgrades } from './pickers.js';
import { seatFor, forgetSeat, rememberSeat, playerName, setPlayerName } from './seats.js';
import { breakdown, cardsToEnd, fromFinal, partsText } from './score.js';
import { chime, chimes, isMuted, setMuted } from './sound.js';
import { rematch, rematchId, rematchState } from './rematch.js';

/** Events that are a player's action: the last of them is "the last move" shown on the table. */
const ACTIONS = new Set(['CardPlayed', 'ItemAcquired', 'PlayerRested', 'ClaimCompleted', 'SpicesDiscarded', 'TurnTimedOut']);

/** "Ana", "Ana and Ben", "Ana, Ben and Cleo". */
function together(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** What the seat to move may do, from the server's hints: "play a card, take a merchant card or rest". */
function choices(legal) {
  if (!legal) return '';
  const can = [];
  if ((legal.playable || []).length) can.push('play a card');
  if ((legal.acquirable || []).length) can.push('take a merchant card');
  if (legal.canRest) can.push('rest');
  if ((legal.claimable || []).length) can.push('claim');
  if (can.length <= 1) return can.join('');
  return `${can.slice(0, -1).join(', ')} or ${can[can.length - 1]}`;
}

/** The turn bar's sentence: {text, tone} with tone mine | discard | other | over | waiting. */
export function turnMessage(view, me) {
  if (!view) return { text: 'Loading the table…', tone: 'waiting' };
  if (view.status === 'waiting') {
    const missing = Number(view.numPlayers || 0) - (view.players || []).length;
    return { text: `Waiting for ${plural(missing, 'more player')}: the game starts when the last seat is taken`, tone: 'waiting' };
  }
  if (view.status === 'finished') {
    const w = view.winner;
    if (w === null || w === undefined) return { text: 'Game over', tone: 'over' };
    return { text: me !== null && Number(w) === Number(me) ? 'Game over — you win!' : `Game over — ${nameOf(view, w)} wins`, tone: 'over' };
  }
  const owed = Number(view.awaitingDiscard || 0);
  const mine = me !== null && Number(view.currentSeat) === Number(me);
  if (mine && owed) return { text: `Discard ${plural(owed, 'cube')} to end your turn`, tone: 'discard' };
  if (mine) {
    const what = choices(view.legal);
    return { text: what ? `Your turn: ${what}` : 'Your turn', tone: 'mine' };
  }
  const who = nameOf(view, view.currentSeat);
  if (owed) return { text: `${who} is discarding ${plural(owed, 'cube')}…`, tone: 'other' };
  return { text: `${who} is thinking…`, tone: 'other' };
}

/** A loudspeaker icon, with sound waves or struck through. */
function speaker(muted) {
  const line = { fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8, 'stroke-linecap': 'round' };
  return s(
    'svg',
    { class: 'icon', viewBox: '0 0 24 24', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false' },
    s('path', { d: 'M4 9h4l5-4v14l-5-4H4z', fill: 'currentColor' }),
    muted ? s('path', { d: 'M16 9l6 6M22 9l-6 6', ...line }) : [s('path', { d: 'M16 8.5a5 5 0 0 1 0 7', ...line }), s('path', { d: 'M18.5 6a8.5 8.5 0 0 1 0 12', ...line })],
  );
}

/** A small clock face for the turn clock. */
function clockIcon() {
  return s(
    'svg',
    { class: 'icon', viewBox: '0 0 24 24', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
    s('circle', { cx: 12, cy: 13, r: 8, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }),
    s('path', { d: 'M12 9v4l3 2M9 3h6', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }),
  );
}

/** Seconds until an RFC 3339 deadline (never negative), or null without one. */
function secondsLeft(deadline) {
  if (!deadline) return null;
  const t = Date.parse(deadline);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

function clockText(secs) {
  const m = Math.floor(secs / 60);
  const s = secs % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Mount the table for `gameId` into `root`; returns a function that tears it down. */
export function openGame(root, gameId, { spectate = false } = {}) {
  const seat = spectate ? null : seatFor(gameId);
  if (seat) rememberSeat(gameId, seat); // a seat found in this browser's list becomes this tab's too
  const names = new Names();
  const st = {
    view: null,
    stateVersion: 0, // lastEventId of the state on screen
    log: new Map(), // eventId → {text, type, data}
    busy: false,
    logFilledTo: 0, // the log holds every event up to here
    connection: 'connecting',
    wasMyTurn: null, // null until the first state: a reload on one's turn does not chime
    rematch: null,
  };

  const banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', hidden: true, 'data-testid': 'connection-banner' });
  const errorBox = h('div', { class: 'error', role: 'alert', 'aria-live': 'assertive', 'data-testid': 'error' });
  const tableBox = h('div', { class: 'table-box' });
  const joinBox = h('div', { class: 'join-box' });
  const resultsBox = h('div', { class: 'results-box' });
  const logList = h('ol', { class: 'log', tabindex: 0, 'aria-label': 'The game so far', 'data-testid': 'event-log' });
  const role = h('span', { class: 'role' }, seat ? `Playing as ${seat.name}` : 'Watching');
  const leaveBtn = seat ? h('button', { class: 'link-btn', onclick: leave }, 'Leave game') : null;
  const title = h('h1', { title: `Game ${gameId}` }, 'Caravan');

  // The turn bar: what the viewer may do now, the round, the clock, the last move and the sound switch.
  const turnText = h('span', { class: 'turn-text', 'data-testid': 'turn' });
  const roundChip = h('span', { class: 'chip', 'data-testid': 'round' });
  const lastRoundChip = h('span', { class: 'chip chip-warn', 'data-testid': 'last-round', hidden: true }, 'Last round');
  const clock = h('span', { class: 'chip clock', 'data-testid': 'clock', hidden: true, role: 'timer', 'aria-live': 'off' });
  const lastMove = h('p', { class: 'last-move', 'data-testid': 'last-move', hidden: true });
  const muteBtn = h('button', { class: 'mute', type: 'button', 'data-testid': 'mute', onclick: toggleMute });
  const turnBar = h(
    'div',
    { class: 'turn-bar', 'data-testid': 'turn-bar', dataset: { tone: 'waiting' } },
    h('div', { class: 'turn-main' }, h('span', { role: 'status', 'aria-live': 'polite', class: 'turn-live' }, turnText), clock, lastRoundChip, roundChip, muteBtn),
    lastMove,
  );
  drawMute();

  replace(
    root,
    h(
      'div',
      { class: 'game-page', dataset: { gameId } },
      h('header', { class: 'game-head' }, h('a', { href: '#/', class: 'back' }, '← Lobby'), title, role, leaveBtn),
      turnBar,
      banner,
      errorBox,
      joinBox,
      resultsBox,
      h(
        'div',
        { class: 'game-grid' },
        h('main', { class: 'table-col' }, tableBox),
        h('aside', { class: 'log-col', 'aria-labelledby': 'h-log' }, h('h2', { id: 'h-log' }, 'The game so far'), logList),
      ),
    ),
  );

  function showError(err) {
    if (!err) {
      errorBox.textContent = '';
      return;
    }
    errorBox.textContent = err.message || String(err);
    if (err.code) errorBox.dataset.code = err.code;
  }

  function toggleMute() {
    setMuted(!isMuted());
    drawMute();
  }

  function drawMute() {
    const muted = isMuted();
    muteBtn.setAttribute('aria-pressed', String(muted));
    muteBtn.title = muted ? 'The turn sound is off' : 'A sound plays when your turn comes';
    replace(muteBtn, speaker(muted), h('span', { class: 'mute-text' }, 'Mute sound'));
  }

  /** The last action on the table, with no event newer than the state on screen. */
  function lastAction() {
    let best = null;
    for (const [id, e] of st.log) if (ACTIONS.has(e.type) && id <= st.stateVersion && (!best || id > best.eventId)) best = { eventId: id, type: e.type, data: e.data, text: e.text };
    return best;
  }

  function render() {
    const v = st.view;
    const me = v ? (v.viewerSeat ?? null) : null;
    const move = lastAction();
    // Redrawing replaces every button: keep keyboard focus on the same card (or its row) while it is
    // there, also across the redraw that disables the buttons while a command is on its way.
    const active = document.activeElement;
    if (active && tableBox.contains(active)) {
      const card = active.closest('[data-card-id]');
      const row = active.closest('.row');
      st.focus = { cardId: card ? card.dataset.cardId : null, row: row ? row.className : null };
    } else if (active && active !== document.body) {
      st.focus = null;
    }
    replace(tableBox, renderTable(v, { onAction: seat ? onAction : null, busy: st.busy, lastMove: move, status: false }));
    if (st.focus && (!document.activeElement || document.activeElement === document.body) && !document.querySelector('dialog[open]')) {
      const { cardId, row } = st.focus;
      const sel = cardId ? `[data-card-id="${CSS.escape(cardId)}"] button:not([disabled])` : null;
      const again = (sel && tableBox.querySelector(sel)) || (row && tableBox.querySelector(`ol[class="${row}"]`));
      if (again) again.focus({ preventScroll: true });
    }
    renderJoin();
    renderResults();
    drawTurnBar(v, me, move);
    const mine = !!v && v.status === 'active' && me !== null && Number(v.currentSeat) === Number(me);
    if (st.wasMyTurn === false && mine) chime();
    if (v) st.wasMyTurn = mine;
    const who = v && (v.players || []).length ? together(v.players.map((p) => p.name)) : '';
    if (v && who) title.textContent = (v.players || []).length === 2 ? v.players.map((p) => p.name).join(' vs ') : who;
    const state = !v ? '' : v.status === 'waiting' ? 'waiting for players' : v.status === 'finished' ? turnMessage(v, me).text.replace('Game over — ', '') : `round ${v.round}`;
    document.title = `${mine ? '(Your turn) ' : ''}Caravan${who ? ` — ${who}` : ''}${state ? ` · ${state}` : ''}`;
  }

  function drawTurnBar(v, me, move) {
    const msg = turnMessage(v, me);
    turnText.textContent = msg.text;
    turnBar.dataset.tone = msg.tone;
    roundChip.hidden = !v || v.status === 'waiting';
    if (v) {
      const goal = cardsToEnd(v);
      const most = Math.max(0, ...(v.players || []).map((p) => (p.claimed || []).length));
      roundChip.textContent = `Round ${v.round ?? 0} · most claimed ${most}/${goal}`;
    }
    lastRoundChip.hidden = !(v && v.status === 'active' && v.endTriggered);
    lastMove.hidden = !move;
    if (move) {
      replace(lastMove, h('span', { class: 'label' }, 'Last move: '), move.text);
      lastMove.dataset.eventId = String(move.eventId);
    }
    tick();
  }

  /** The turn clock, when the game has one: counts down to the view's turnDeadline. */
  function tick() {
    const v = st.view;
    const secs = v && v.status === 'active' ? secondsLeft(v.turnDeadline) : null;
    clock.hidden = secs === null;
    if (secs === null) return;
    replace(clock, clockIcon(), clockText(secs));
    clock.setAttribute('aria-label', `${secs} seconds left in this turn`);
    clock.classList.toggle('urgent', secs <= 10);
  }
  const clockTimer = setInterval(tick, 1000);

  function renderJoin() {
    const v = st.view;
    if (!v || v.status !== 'waiting') {
      replace(joinBox);
      return;
    }
    const link = `${location.origin}/#/game/${encodeURIComponent(gameId)}`;
    const linkInput = h('input', { id: 'invite-link', readonly: true, value: link, 'data-testid': 'invite-link', onfocus: (e) => e.target.select() });
    const copied = h('span', { class: 'muted', role: 'status' });
    const invite = h(
      'div',
      { class: 'invite area' },
      h('label', { for: 'invite-link' }, 'Invite link'),
      h('p', { class: 'muted' }, 'Send this link to the people you want to play with; they open it, type their name and take a seat.'),
      h(
        'div',
        { class: 'inline-form' },
        linkInput,
        h(
          'button',
          {
            type: 'button',
            onclick: async () => {
              try {
                await navigator.clipboard.writeText(link);
                copied.textContent = 'Copied.';
              } catch {
                linkInput.select();
                copied.textContent = 'Select the link and copy it.';
              }
            },
          },
          'Copy link',
        ),
        copied,
      ),
    );
    if (seat) {
      replace(joinBox, invite);
      return;
    }
    const input = h('input', { id: 'join-name', name: 'name', required: true, maxlength: 32, value: playerName(), autocomplete: 'nickname' });
    replace(
      joinBox,
      h(
        'form',
        {
          class: 'inline-form area',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              const name = input.value.trim();
              setPlayerName(name);
              const joined = await api.join(gameId, name);
              rememberSeat(gameId, { ...joined, name });
              location.reload();
            } catch (err) {
              showError(err);
            }
          },
        },
        h('label', { for: 'join-name' }, 'Your name'),
        input,
        h('button', { class: 'primary', type: 'submit' }, 'Take a seat'),
      ),
      invite,
    );
  }

  /** The end of the game: who won, each player's score in parts, and what to do next. */
  function renderResults() {
    const v = st.view;
    if (!v || v.status !== 'finished') {
      replace(resultsBox);
      return;
    }
    const drawn = `${st.stateVersion}:${st.log.size}`;
    if (resultsBox.dataset.version === drawn && resultsBox.dataset.rematch === JSON.stringify(st.rematch)) return;
    resultsBox.dataset.version = drawn;
    resultsBox.dataset.rematch = JSON.stringify(st.rematch);
    const me = v.viewerSeat ?? null;
    const ended = [...st.log.values()].find((e) => e.type === 'GameEnded');
    const finals = new Map(((ended && ended.data.scores) || []).map((s) => [Number(s.seat), s]));
    const rows = (v.players || [])
      .map((p) => {
        const f = finals.get(Number(p.seat));
        return { p, b: f ? fromFinal(f) : breakdown(p), forfeited: f ? !!f.forfeited : !!p.left };
      })
      .sort((a, b) => Number(b.p.seat === v.winner) - Number(a.p.seat === v.winner) || b.b.total - a.b.total);
    const said = turnMessage(v, me).text.replace('Game over — ', '');
    const heading = said.charAt(0).toUpperCase() + said.slice(1);
    const r = st.rematch;
    const others = r ? (r.players || []).map((p) => p.name) : [];
    const rematchNote = !r
      ? null
      : r.status === 'waiting'
        ? `${together(others)} ${others.length === 1 ? 'is' : 'are'} waiting for you in the rematch (${others.length} of ${r.numPlayers} seated).`
        : r.status === 'active'
          ? 'The rematch has started.'
          : null;
    replace(
      resultsBox,
      h(
        'section',
        { class: 'area results', 'aria-labelledby': 'h-results', 'data-testid': 'results' },
        h('h2', { id: 'h-results' }, heading),
        h(
          'div',
          { class: 'scroll-x', tabindex: 0, role: 'region', 'aria-label': 'Final scores' },
          h(
            'table',
            { class: 'grid results-table' },
            h('caption', { class: 'visually-hidden' }, 'Final scores'),
            h('thead', {}, h('tr', {}, ['Player', 'Cards', 'Coins', 'Cubes', 'Total'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              rows.map(({ p, b, forfeited }) =>
                h(
                  'tr',
                  { class: Number(p.seat) === Number(v.winner) ? 'winner' : '', dataset: { seat: p.seat } },
                  h('th', { scope: 'row' }, Number(p.seat) === Number(v.winner) ? h('span', { class: 'star', 'aria-hidden': 'true' }, '★ ') : '', p.name, me !== null && Number(p.seat) === Number(me) ? ' (you)' : '', forfeited ? ' — left' : ''),
                  h('td', {}, String(b.cards)),
                  h('td', { title: `${b.gold} gold, ${b.silver} silver` }, String(b.coins)),
                  h('td', {}, String(b.cubes)),
                  h('td', { class: 'total' }, String(b.total)),
                ),
              ),
            ),
          ),
        ),
        h('p', { class: 'muted' }, 'Cards: points on claimed cards. Coins: 3 per gold, 1 per silver. Cubes: 1 per cube that is not yellow.'),
        rematchNote ? h('p', { class: 'notice', 'data-testid': 'rematch-note' }, rematchNote) : null,
        h(
          'div',
          { class: 'actions' },
          seat && (!r || r.status === 'waiting')
            ? h('button', { class: 'primary', 'data-testid': 'rematch', onclick: onRematch }, r ? 'Join the rematch' : 'Rematch')
            : r && r.status === 'active'
              ? h('a', { class: 'btn primary', href: `#/watch/${encodeURIComponent(rematchId(gameId))}` }, 'Watch the rematch')
              : null,
          h('a', { class: 'btn', href: '#/', 'data-testid': 'new-game' }, 'New game'),
          h('a', { class: 'btn', href: `#/replay/${encodeURIComponent(gameId)}`, 'data-testid': 'replay' }, 'Replay from the start'),
        ),
      ),
    );
  }

  async function onRematch() {
    const v = st.view;
    try {
      const name = seat.name || playerName();
      const bots = (v.players || []).filter(isComputer).map((p) => p.bot);
      const id = await rematch(gameId, { numPlayers: v.numPlayers, name, bots });
      location.hash = `#/game/${encodeURIComponent(id)}`;
    } catch (err) {
      showError(err);
    }
  }

  async function pollRematch() {
    if (!st.view || st.view.status !== 'finished') return;
    try {
      const r = await rematchState(gameId);
      const next = r ? { status: r.status, numPlayers: r.numPlayers, players: (r.players || []).map((p) => ({ name: p.name, bot: isComputer(p) })) } : null;
      if (JSON.stringify(next) !== JSON.stringify(st.rematch)) {
        st.rematch = next;
        renderResults();
      }
    } catch {
      // the next poll tries again
    }
  }
  const rematchTimer = setInterval(pollRematch, 2500);

  function addLog(ev) {
    if (!ev || !ev.eventId || st.log.has(ev.eventId)) return;
    st.log.set(ev.eventId, { text: describe(ev, names), type: ev.type, data: ev.data || {} });
    drawLog();
  }

  /**
   * The story in words: one line per action, a heading when a round begins, none for a turn that
   * never comes (the turn passed on just before the game ended).
   */
  function drawLog() {
    const ids = [...st.log.keys()].sort((a, b) => a - b);
    const items = [];
    let round = 0;
    let lastRoundSaid = false;
    ids.forEach((id, i) => {
      const e = st.log.get(id);
      const next = st.log.get(ids[i + 1]);
      if (e.type === 'TurnEnded') {
        if (next && next.type === 'GameEnded') return;
        const r = Number(e.data.round || 0);
        if (r > round) {
          round = r;
          const last = !!e.data.endTriggered;
          items.push(h('li', { class: 'log-round', dataset: { eventId: id, type: 'round' } }, `Round ${r}${last ? ' — the last round' : ''}`));
          lastRoundSaid = lastRoundSaid || last;
        } else if (e.data.endTriggered && !lastRoundSaid) {
          lastRoundSaid = true;
          items.push(h('li', { class: 'log-round', dataset: { eventId: id, type: 'round' } }, 'The last round: the game ends when this round is complete'));
        }
        return;
      }
      if (!e.text) return;
      items.push(h('li', { class: `log-${e.type}`, title: `Event ${id}`, dataset: { eventId: id, type: e.type } }, e.text));
      if (e.type === 'GameStarted') {
        round = 1;
        items.push(h('li', { class: 'log-round', dataset: { eventId: id, type: 'round' } }, 'Round 1'));
      }
    });
    replace(logList, items);
    logList.scrollTop = logList.scrollHeight;
  }

  /** Fill the log from REST with every event up to `upTo` that no socket message brought. */
  async function loadHistory(upTo) {
    if (upTo <= st.logFilledTo) return;
    const from = st.logFilledTo;
    st.logFilledTo = upTo;
    try {
      const list = eventList(await api.events(gameId, from, 1000)).filter((e) => e.eventId <= upTo);
      // Describe in order so names are learnt before they are used.
      for (const e of list) if (!st.log.has(e.eventId)) st.log.set(e.eventId, { text: describe(e, names), type: e.type, data: e.data || {} });
      drawLog();
      render();
    } catch {
      st.logFilledTo = Math.min(st.logFilledTo, from);
    }
  }

  function setState(view, version) {
    if (!view) return;
    if (version < st.stateVersion) return; // never move the table backwards
    st.view = view;
    st.stateVersion = version;
    names.fromState(view);
    render();
    if (view.status === 'finished' && !st.rematchPolled) {
      st.rematchPolled = true;
      pollRematch();
    }
  }

  function setBanner(s) {
    st.connection = s.state;
    document.body.dataset.connection = s.state;
    if (s.state === 'open') {
      banner.hidden = true;
      banner.textContent = '';
      return;
    }
    banner.hidden = false;
    banner.className = `banner banner-${s.state}`;
    if (s.state === 'connecting') banner.textContent = 'Connecting…';
    else if (s.state === 'reconnecting') banner.textContent = 'Connection lost — reconnecting now…';
    else if (s.state === 'disconnected')
      banner.textContent = `Connection lost — reconnecting in ${Math.max(1, Math.round(s.retryInMs / 100) / 10)} s (attempt ${s.attempt})…`;
    else if (s.state === 'refused') banner.textContent = `The server refused this connection${s.reason ? `: ${s.reason}` : ''}.`;
  }

  const socket = new GameSocket({
    gameId,
    token: seat ? seat.token : null,
    on: {
      welcome(msg) {
        showError(null);
        setState(msg.state, Number(msg.lastEventId || 0));
        loadHistory(Number(msg.lastEventId || 0));
      },
      event(msg) {
        addLog(normaliseEvent(msg));
      },
      caughtUp(msg) {
        const v = Number(msg.lastEventId || 0);
        // A state message normally follows a catch-up that moved the game on; if none comes, ask for a fresh welcome.
        setTimeout(() => {
          if (st.stateVersion < v && socket.isOpen) socket.resync();
        }, 400);
      },
      state(msg) {
        setState(msg.state, Number(msg.lastEventId || 0));
      },
      error(err) {
        if (err.code === 'invalid_last_event_id') {
          // The server's log is behind what this page saw (e.g. a restarted in-memory server): start afresh.
          st.stateVersion = 0;
          st.logFilledTo = 0;
          st.log.clear();
          socket.resync();
          return;
        }
        showError(err);
        if (err.code === 'game_not_found' || err.code === 'not_found') {
          socket.close();
          setBanner({ state: 'refused', reason: err.message });
          return;
        }
        if (seat && /token|unauthori|forbidden/i.test(`${err.code} ${err.message}`)) {
          socket.close();
          setBanner({ state: 'refused', reason: err.message });
        }
      },
      status: setBanner,
    },
  });
  socket.connect();

  // Draw the table from REST at once; the socket's welcome (or any newer state) replaces it.
  api
    .game(gameId, seat ? seat.token : null)
    .then((json) => {
      if (!json || !json.state) return;
      setState(json.state, Number(json.lastEventId || 0));
      loadHistory(Number(json.lastEventId || 0));
    })
    .catch((err) => {
      if (err.code === 'game_not_found') {
        socket.close();
        setBanner({ state: 'refused', reason: err.message });
      }
      showError(err);
    });

  async function onAction(a) {
    showError(null);
    const v = st.view;
    const me = v && (v.players || []).find((p) => Number(p.seat) === Number(v.viewerSeat));
    if (!me) return;
    let command = null;
    if (a.kind === 'play') {
      const hint = a.hint || {};
      const kind = hint.kind || merchantCard(a.cardId).kind;
      if (kind === 'upgrade') {
        const steps = Number(hint.upgradeSteps ?? merchantCard(a.cardId).steps ?? 2);
        const ups = await pickUpgrades(me.caravan, steps);
        if (ups === null) return;
        command = { type: 'playCard', cardId: a.cardId, upgrades: ups };
      } else if (kind === 'trade') {
        const max = Number(hint.maxTimes || 1);
        const times = max > 1 ? await pickTimes(a.cardId, max) : 1;
        if (times === null) return;
        command = { type: 'playCard', cardId: a.cardId, times };
      } else {
        command = { type: 'playCard', cardId: a.cardId };
      }
    } else if (a.kind === 'acquire') {
      const payment = a.slot > 0 ? await pickPayment(me.caravan, a.slot, a.cardId) : [];
      if (payment === null) return;
      command = { type: 'acquire', slot: a.slot, payment };
    } else if (a.kind === 'claim') {
      command = { type: 'claim', slot: a.slot };
    } else if (a.kind === 'rest') {
      command = { type: 'rest' };
    } else if (a.kind === 'discard') {
      const spices = await pickDiscard(me.caravan, a.owed);
      if (spices === null) return;
      command = { type: 'discard', spices };
    }
    if (command) await send(command);
  }

  /** Send one command; a refusal shows the server's own message. */
  async function send(command) {
    showError(null);
    st.busy = true;
    render();
    const res = await socket.command(command);
    st.busy = false;
    if (!res.ok) showError(res.error || { message: 'The server refused the command.' });
    render();
    return res;
  }

  async function leave() {
    if (!window.confirm('Leave this game? In a running game this forfeits your seat.')) return;
    try {
      await api.leave(gameId, seat.token);
      forgetSeat(gameId);
      location.hash = '#/';
    } catch (err) {
      showError(err instanceof ApiError ? err : { message: String(err) });
    }
  }

  // Hooks for the browser tests (and for curious players in the console).
  window.__caravan = {
    socket,
    chimes,
    get view() {
      return st.view;
    },
    get lastEventId() {
      return socket.lastEventId;
    },
    get connection() {
      return st.connection;
    },
    get stateVersion() {
      return st.stateVersion;
    },
    get busy() {
      return st.busy;
    },
    send,
    drop: (opts) => socket.drop(opts),
    release: () => socket.release(),
  };

  return () => {
    clearInterval(clockTimer);
    clearInterval(rematchTimer);
    socket.close();
    if (window.__caravan && window.__caravan.socket === socket) delete window.__caravan;
  };
}
