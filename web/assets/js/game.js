// The game page: one table, one WebSocket, the event log, and the choosers for the player's actions.
import { h, replace } from './dom.js';
import { api, ApiError } from './api.js';
import { GameSocket } from './socket.js';
import { renderTable } from './table.js';
import { Names, describe, eventList, normaliseEvent } from './describe.js';
import { merchantCard } from './cards.js';
import { pickDiscard, pickPayment, pickTimes, pickUpgrades } from './pickers.js';
import { seatFor, forgetSeat, rememberSeat, playerName, setPlayerName } from './seats.js';

/** Mount the table for `gameId` into `root`; returns a function that tears it down. */
export function openGame(root, gameId, { spectate = false } = {}) {
  const seat = spectate ? null : seatFor(gameId);
  const names = new Names();
  const st = {
    view: null,
    stateVersion: 0, // lastEventId of the state on screen
    log: new Map(), // eventId → text
    busy: false,
    logFilledTo: 0, // the log holds every event up to here
    connection: 'connecting',
  };

  const banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', hidden: true, 'data-testid': 'connection-banner' });
  const errorBox = h('div', { class: 'error', role: 'alert', 'aria-live': 'assertive', 'data-testid': 'error' });
  const tableBox = h('div', { class: 'table-box' });
  const joinBox = h('div', { class: 'join-box' });
  const logList = h('ol', { class: 'log', 'aria-label': 'Event log', 'data-testid': 'event-log' });
  const role = h('span', { class: 'role' }, seat ? `Playing as ${seat.name} (seat ${Number(seat.seat) + 1})` : 'Watching');
  const leaveBtn = seat ? h('button', { class: 'link-btn', onclick: leave }, 'Leave game') : null;

  replace(
    root,
    h(
      'div',
      { class: 'game-page', dataset: { gameId } },
      h(
        'header',
        { class: 'game-head' },
        h('a', { href: '#/', class: 'back' }, '← Lobby'),
        h('h1', {}, 'Game ', h('code', {}, gameId)),
        role,
        leaveBtn,
      ),
      banner,
      errorBox,
      joinBox,
      h(
        'div',
        { class: 'game-grid' },
        h('main', { class: 'table-col' }, tableBox),
        h('aside', { class: 'log-col', 'aria-labelledby': 'h-log' }, h('h2', { id: 'h-log' }, 'What happened'), logList),
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

  function render() {
    replace(tableBox, renderTable(st.view, { onAction: seat ? onAction : null, busy: st.busy }));
    renderJoin();
    document.title = st.view ? `Caravan — ${gameId} (${st.view.status})` : 'Caravan';
  }

  function renderJoin() {
    if (seat || !st.view || st.view.status !== 'waiting') {
      replace(joinBox);
      return;
    }
    const input = h('input', { id: 'join-name', name: 'name', required: true, maxlength: 32, value: playerName(), autocomplete: 'nickname' });
    replace(
      joinBox,
      h(
        'form',
        {
          class: 'inline-form',
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
    );
  }

  function addLog(ev) {
    if (!ev || !ev.eventId || st.log.has(ev.eventId)) return;
    const text = describe(ev, names);
    st.log.set(ev.eventId, { text, type: ev.type });
    drawLog();
  }

  function drawLog() {
    const ids = [...st.log.keys()].sort((a, b) => a - b);
    replace(
      logList,
      ids.map((id) => {
        const e = st.log.get(id);
        return h('li', { class: `log-${e.type}`, dataset: { eventId: id, type: e.type } }, e.text);
      }),
    );
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
      for (const e of list) if (!st.log.has(e.eventId)) st.log.set(e.eventId, { text: describe(e, names), type: e.type });
      drawLog();
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
    socket.close();
    if (window.__caravan && window.__caravan.socket === socket) delete window.__caravan;
  };
}
