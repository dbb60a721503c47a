// The lobby's "Play against the computer": one click opens a game with the person in seat 0 and
// 1–4 computer players of the chosen level in the seats after it (the last one starts the game).
import { h } from './dom.js';
import { api, gameIdOf } from './api.js';
import { rememberSeat } from './seats.js';

const LEVELS = [
  ['easy', 'Easy: plays a random legal move, claims when it can'],
  ['greedy', 'Greedy: takes the best move it sees now'],
  ['strong', 'Strong: plans toward the point cards'],
];

/**
 * The lobby section. `needName()` returns the person's name (or null after saying it is missing);
 * `showError(message)` shows a failure.
 */
export function versusSection({ needName, showError }) {
  const countSelect = h(
    'select',
    { id: 'computer-count', name: 'computers' },
    [1, 2, 3, 4].map((n) => h('option', { value: String(n) }, n === 1 ? '1 opponent' : `${n} opponents`)),
  );
  const levelSelect = h(
    'select',
    { id: 'computer-level', name: 'level' },
    LEVELS.map(([level, label]) => h('option', { value: level, selected: level === 'greedy' }, label)),
  );
  const button = h('button', { class: 'primary', type: 'submit', 'data-testid': 'play-computer' }, 'Play against the computer');

  async function start(e) {
    e.preventDefault();
    const name = needName();
    if (!name) return;
    const computers = Number(countSelect.value);
    const level = levelSelect.value;
    button.disabled = true;
    try {
      // Seat 0 is the person's: join first, then seat the computer players after it.
      const summary = await api.createGame(computers + 1);
      const gameId = gameIdOf(summary);
      const joined = await api.join(gameId, name);
      rememberSeat(gameId, { ...joined, name });
      for (let i = 0; i < computers; i++) await api.addBot(gameId, level);
      location.hash = `#/game/${encodeURIComponent(gameId)}`;
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  }

  return h(
    'section',
    { class: 'area', 'aria-labelledby': 'h-computer' },
    h('h2', { id: 'h-computer' }, 'Play against the computer'),
    h(
      'form',
      { class: 'inline-form', onsubmit: start },
      h('label', { for: 'computer-count' }, 'Opponents'),
      countSelect,
      h('label', { for: 'computer-level' }, 'Level'),
      levelSelect,
      button,
    ),
  );
}
