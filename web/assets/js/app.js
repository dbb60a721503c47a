// index.html: the lobby, the game table and the replay, switched by the URL hash
// (#/ lobby, #/game/ID play or watch, #/watch/ID watch only, #/replay/ID replay from the start).
import { h, replace } from './dom.js';
import { api, ApiError, gameIdOf } from './api.js';
import { loadCatalogue } from './cards.js';
import { openGame, turnMessage } from './game.js';
import { nameOf } from './table.js';
import { mountReplay } from './replay.js';
import { versusSection } from './versus.js';
import { seatFor, rememberSeat, forgetSeat, myGames, playerName, setPlayerName } from './seats.js';

const root = document.getElementById('app');
let teardown = null;

function route() {
  if (teardown) teardown();
  teardown = null;
  const m = /^#\/(game|watch|replay)\/(.+)$/.exec(location.hash);
  document.title = 'Caravan';
  if (m && m[1] === 'replay') teardown = openReplay(root, decodeURIComponent(m[2]));
  else if (m) teardown = openGame(root, decodeURIComponent(m[2]), { spectate: m[1] === 'watch' });
  else teardown = openLobby(root);
}

function openReplay(el, gameId) {
  const errorBox = h('div', { class: 'error', role: 'alert', 'data-testid': 'error' });
  const view = h('div', { class: 'area' });
  replace(
    el,
    h(
      'div',
      { class: 'replay-page' },
      h('header', { class: 'game-head' }, h('a', { href: '#/', class: 'back' }, '← Lobby'), h('h1', { title: `Game ${gameId}` }, 'Replay'), h('a', { href: `#/watch/${encodeURIComponent(gameId)}` }, 'The table now')),
      errorBox,
      view,
    ),
  );
  document.title = 'Caravan — replay';
  let r = null;
  mountReplay(view, gameId, { onError: (err) => (errorBox.textContent = err.message) }).then((x) => (r = x));
  return () => r && r.stop();
}

/** "Ana won with 42 (Ben 30)". */
function resultText(summary) {
  const players = summary.players || [];
  const scores = (summary.scores || []).map((s) => (typeof s === 'number' ? s : s && (s.total ?? s.score)));
  const named = players.map((p, i) => ({ name: typeof p === 'string' ? p : p && p.name, score: scores[i] ?? (p && p.score) }));
  const w = summary.winner;
  const winner = w !== null && w !== undefined ? named[Number(w)] : null;
  const rest = named.filter((x) => x !== winner && x.name).map((x) => `${x.name}${x.score !== undefined && x.score !== null ? ` ${x.score}` : ''}`);
  if (!winner) return rest.join(', ') || 'no winner';
  return `${winner.name} won${winner.score !== undefined && winner.score !== null ? ` with ${winner.score}` : ''}${rest.length ? ` (${rest.join(', ')})` : ''}`;
}

function playersText(summary) {
  const list = summary.players || [];
  const names = list.map((p) => (typeof p === 'string' ? p : p && p.name)).filter(Boolean);
  const n = summary.numPlayers ?? summary.maxPlayers ?? '?';
  if (summary.status === 'active') return `${names.join(', ')}${summary.round ? ` · round ${summary.round}` : ''}`;
  const free = Number(n) - names.length;
  return `${names.length ? names.join(', ') : 'Nobody yet'} · ${Number.isNaN(free) ? '' : `${free} of ${n} seats free`}`;
}

function openLobby(el) {
  const errorBox = h('div', { class: 'error', role: 'alert', 'data-testid': 'error' });
  const nameInput = h('input', { id: 'name', name: 'name', required: true, maxlength: 32, value: playerName(), autocomplete: 'nickname', placeholder: 'e.g. Ana' });
  const numSelect = h('select', { id: 'num-players', name: 'numPlayers' }, [2, 3, 4, 5].map((n) => h('option', { value: String(n) }, `${n} players`)));
  const seatBox = h('input', { type: 'checkbox', id: 'take-seat', checked: true });
  const waitingList = h('ul', { class: 'games', 'aria-label': 'Waiting games', 'data-testid': 'waiting-games' });
  const activeList = h('ul', { class: 'games', 'aria-label': 'Running games', 'data-testid': 'active-games' });
  const finishedList = h('ul', { class: 'games', 'aria-label': 'Finished games', 'data-testid': 'finished-games' });
  const mineList = h('ul', { class: 'games', 'aria-label': 'My games', 'data-testid': 'my-games' });
  const mineSection = h('section', { class: 'area mine-games', 'aria-labelledby': 'h-mine', hidden: true }, h('h2', { id: 'h-mine' }, 'My games'), mineList);

  function needName() {
    const name = nameInput.value.trim();
    if (!name) {
      errorBox.textContent = 'Type your name first (1–32 characters).';
      nameInput.focus();
      return null;
    }
    setPlayerName(name);
    return name;
  }

  async function join(gameId) {
    errorBox.textContent = '';
    const name = needName();
    if (!name) return;
    try {
      const joined = await api.join(gameId, name);
      rememberSeat(gameId, { ...joined, name });
      location.hash = `#/game/${encodeURIComponent(gameId)}`;
    } catch (err) {
      errorBox.textContent = err.message;
      refresh();
    }
  }

  async function create(e) {
    e.preventDefault();
    errorBox.textContent = '';
    const takeSeat = seatBox.checked;
    const name = takeSeat ? needName() : '';
    if (takeSeat && !name) return;
    try {
      const summary = await api.createGame(Number(numSelect.value));
      const gameId = gameIdOf(summary);
      if (takeSeat) await join(gameId);
      else location.hash = `#/watch/${encodeURIComponent(gameId)}`;
    } catch (err) {
      errorBox.textContent = err.message;
    }
  }

  function gameItem(s, waiting) {
    const id = gameIdOf(s);
    const mine = seatFor(id);
    const href = `#/game/${encodeURIComponent(id)}`;
    return h(
      'li',
      { class: 'game-item', dataset: { gameId: id } },
      h('span', { class: 'game-players' }, playersText(s), h('small', { class: 'game-id muted', title: `Game ${id}` }, ` · ${id}`)),
      h(
        'span',
        { class: 'game-actions' },
        mine
          ? h('a', { class: 'btn primary', href, 'aria-label': `Return to your seat in game ${id}` }, 'Your seat')
          : waiting
            ? h('button', { class: 'primary', 'aria-label': `Join game ${id}`, onclick: () => join(id) }, 'Join')
            : null,
        h('a', { class: 'btn', href: `#/watch/${encodeURIComponent(id)}`, 'aria-label': `Watch game ${id}` }, 'Watch'),
      ),
    );
  }

  function finishedItem(s) {
    const id = gameIdOf(s);
    return h(
      'li',
      { class: 'game-item', dataset: { gameId: id } },
      h('span', { class: 'game-players' }, resultText(s), h('small', { class: 'game-id muted', title: `Game ${id}` }, ` · ${id}`)),
      h(
        'span',
        { class: 'game-actions' },
        h('a', { class: 'btn', href: `#/replay/${encodeURIComponent(id)}`, 'aria-label': `Replay game ${id}` }, 'Replay'),
        h('a', { class: 'btn', href: `#/watch/${encodeURIComponent(id)}`, 'aria-label': `Final table of game ${id}` }, 'Final table'),
      ),
    );
  }

  /** A game this browser holds a seat in, with where it stands for that seat. */
  async function myItem(g) {
    const id = g.gameId;
    let line;
    let yourTurn = false;
    let gone = false;
    try {
      const json = await api.game(id, g.token);
      const v = json && json.state;
      const names = ((v && v.players) || []).map((p) => p.name).join(', ');
      const msg = turnMessage(v, v ? (v.viewerSeat ?? null) : null);
      yourTurn = msg.tone === 'mine' || msg.tone === 'discard';
      const where = !v
        ? ''
        : v.status === 'waiting'
          ? 'waiting for players'
          : v.status === 'finished'
            ? msg.text.replace('Game over — ', '')
            : yourTurn
              ? 'your turn'
              : `${nameOf(v, v.currentSeat)} to move`;
      line = `${names || g.name} — ${where}`;
    } catch (err) {
      gone = err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403);
      line = gone ? `${g.name}: this game is no longer on the server, or your seat has expired` : `${g.name}: ${err.message}`;
    }
    return h(
      'li',
      { class: `game-item ${yourTurn ? 'your-turn' : ''}`, dataset: { gameId: id } },
      h('span', { class: 'game-players' }, line, h('small', { class: 'game-id muted', title: `Game ${id}` }, ` · ${id}`)),
      h(
        'span',
        { class: 'game-actions' },
        gone ? null : h('a', { class: `btn ${yourTurn ? 'primary' : ''}`, href: `#/game/${encodeURIComponent(id)}`, 'aria-label': `Return to your seat in game ${id}` }, 'Your seat'),
        h('button', { class: 'link-btn', 'aria-label': `Forget game ${id}`, onclick: () => (forgetSeat(id), refresh()) }, 'Forget'),
      ),
    );
  }

  async function refreshMine() {
    const mine = myGames().slice(0, 10);
    mineSection.hidden = mine.length === 0;
    if (!mine.length) return;
    replace(mineList, await Promise.all(mine.map(myItem)));
  }

  async function refresh() {
    refreshMine();
    try {
      const [waiting, active, finished] = await Promise.all([api.listGames('waiting'), api.listGames('active'), api.listGames('finished', 10)]);
      replace(waitingList, waiting.length ? waiting.map((s) => gameItem(s, true)) : h('li', { class: 'muted' }, 'No game is waiting for players.'));
      replace(activeList, active.length ? active.map((s) => gameItem(s, false)) : h('li', { class: 'muted' }, 'No game is running.'));
      replace(finishedList, finished.length ? finished.map(finishedItem) : h('li', { class: 'muted' }, 'No game has finished yet.'));
    } catch (err) {
      errorBox.textContent = err.message;
    }
  }

  replace(
    el,
    h(
      'div',
      { class: 'lobby' },
      h('header', { class: 'lobby-head' }, h('h1', {}, 'Caravan'), h('p', { class: 'muted' }, 'Century: Spice Road, played in the browser.'), h('a', { href: '/dashboard' }, 'Dashboard')),
      errorBox,
      mineSection,
      h(
        'section',
        { class: 'area', 'aria-labelledby': 'h-you' },
        h('h2', { id: 'h-you' }, 'You'),
        h('div', { class: 'field' }, h('label', { for: 'name' }, 'Your name'), nameInput),
      ),
      h(
        'section',
        { class: 'area', 'aria-labelledby': 'h-new' },
        h('h2', { id: 'h-new' }, 'New game'),
        h(
          'form',
          { class: 'inline-form', onsubmit: create },
          h('label', { for: 'num-players' }, 'Players'),
          numSelect,
          h('label', { class: 'check' }, seatBox, ' take a seat'),
          h('button', { class: 'primary', type: 'submit' }, 'Create game'),
        ),
      ),
      versusSection({ needName, showError: (message) => { errorBox.textContent = message; } }),
      h('section', { class: 'area', 'aria-labelledby': 'h-waiting' }, h('h2', { id: 'h-waiting' }, 'Waiting for players'), waitingList),
      h('section', { class: 'area', 'aria-labelledby': 'h-active' }, h('h2', { id: 'h-active' }, 'Running'), activeList),
      h('section', { class: 'area', 'aria-labelledby': 'h-finished' }, h('h2', { id: 'h-finished' }, 'Finished'), finishedList),
    ),
  );
  refresh();
  const timer = setInterval(refresh, 4000);
  return () => clearInterval(timer);
}

window.addEventListener('hashchange', route);
loadCatalogue().finally(route);
