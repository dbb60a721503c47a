// index.html: the lobby and the game table, switched by the URL hash
// (#/ lobby, #/game/ID play or watch, #/watch/ID watch only).
import { h, replace } from './dom.js';
import { api, gameIdOf } from './api.js';
import { loadCatalogue } from './cards.js';
import { openGame } from './game.js';
import { seatFor, rememberSeat, playerName, setPlayerName } from './seats.js';

const root = document.getElementById('app');
let teardown = null;

function route() {
  if (teardown) teardown();
  teardown = null;
  const m = /^#\/(game|watch)\/(.+)$/.exec(location.hash);
  if (m) teardown = openGame(root, decodeURIComponent(m[2]), { spectate: m[1] === 'watch' });
  else teardown = openLobby(root);
}

function playersText(summary) {
  const list = summary.players || [];
  const names = list.map((p) => (typeof p === 'string' ? p : p && p.name)).filter(Boolean);
  const n = summary.numPlayers ?? summary.maxPlayers ?? '?';
  const round = summary.status === 'active' && summary.round ? ` · round ${summary.round}` : '';
  return `${names.length}/${n}${names.length ? `: ${names.join(', ')}` : ''}${round}`;
}

function openLobby(el) {
  const errorBox = h('div', { class: 'error', role: 'alert', 'data-testid': 'error' });
  const nameInput = h('input', { id: 'name', name: 'name', required: true, maxlength: 32, value: playerName(), autocomplete: 'nickname', placeholder: 'e.g. Ana' });
  const numSelect = h('select', { id: 'num-players', name: 'numPlayers' }, [2, 3, 4, 5].map((n) => h('option', { value: String(n) }, `${n} players`)));
  const seatBox = h('input', { type: 'checkbox', id: 'take-seat', checked: true });
  const waitingList = h('ul', { class: 'games', 'aria-label': 'Waiting games', 'data-testid': 'waiting-games' });
  const activeList = h('ul', { class: 'games', 'aria-label': 'Running games', 'data-testid': 'active-games' });

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
      h('span', { class: 'game-id' }, h('code', {}, id)),
      h('span', { class: 'game-players' }, playersText(s)),
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

  async function refresh() {
    try {
      const [waiting, active] = await Promise.all([api.listGames('waiting'), api.listGames('active')]);
      replace(waitingList, waiting.length ? waiting.map((s) => gameItem(s, true)) : h('li', { class: 'muted' }, 'No game is waiting for players.'));
      replace(activeList, active.length ? active.map((s) => gameItem(s, false)) : h('li', { class: 'muted' }, 'No game is running.'));
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
      h('section', { class: 'area', 'aria-labelledby': 'h-waiting' }, h('h2', { id: 'h-waiting' }, 'Waiting for players'), waitingList),
      h('section', { class: 'area', 'aria-labelledby': 'h-active' }, h('h2', { id: 'h-active' }, 'Running'), activeList),
    ),
  );
  refresh();
  const timer = setInterval(refresh, 4000);
  return () => clearInterval(timer);
}

window.addEventListener('hashchange', route);
loadCatalogue().finally(route);
