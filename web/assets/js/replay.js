// The replay viewer: a finished (or running) game step by step, from its first event, with the table
// as it was after each event and the event in words. Used by the dashboard and by #/replay/ID.
import { h, replace } from './dom.js';
import { api, lastEventIdOf, viewOf } from './api.js';
import { renderTable } from './table.js';
import { Names, describe, eventList } from './describe.js';

/**
 * Mount a replay of `gameId` into `el`; returns {stop()}. `at` is where it opens: 'start' (the
 * game's start, or its first event when it never started) or 'end'.
 */
export async function mountReplay(el, gameId, { at = 'start', onError = () => {} } = {}) {
  const rp = { max: 0, at: 0, texts: new Map(), events: [], timer: null, seq: 0 };
  const slider = h('input', { type: 'range', id: 'rp-slider', min: 1, max: 1, value: 1 });
  const pos = h('output', { id: 'rp-pos', 'data-testid': 'replay-position', 'aria-live': 'polite' });
  const playBtn = h('button', { type: 'button', id: 'rp-play', 'aria-pressed': 'false', onclick: togglePlay }, 'Play');
  const told = h('p', { id: 'rp-event', class: 'replay-event', 'data-testid': 'replay-event', 'aria-live': 'polite' });
  const table = h('div', { id: 'rp-table' });
  replace(
    el,
    h(
      'div',
      { id: 'replay-controls', class: 'replay-controls' },
      h('button', { type: 'button', id: 'rp-first', 'aria-label': 'First event', onclick: () => (stopPlaying(), showAt(1)) }, 'First'),
      h('button', { type: 'button', id: 'rp-prev', 'aria-label': 'Previous event', onclick: () => (stopPlaying(), showAt(rp.at - 1)) }, '◀ Prev'),
      h('label', { for: 'rp-slider', class: 'visually-hidden' }, 'Event number'),
      slider,
      h('button', { type: 'button', id: 'rp-next', 'aria-label': 'Next event', onclick: () => (stopPlaying(), showAt(rp.at + 1)) }, 'Next ▶'),
      h('button', { type: 'button', id: 'rp-last', 'aria-label': 'Last event', onclick: () => (stopPlaying(), showAt(rp.max)) }, 'Last'),
      playBtn,
      pos,
    ),
    told,
    table,
  );
  slider.addEventListener('input', (e) => (stopPlaying(), showAt(Number(e.target.value))));

  async function showAt(n) {
    n = Math.max(1, Math.min(rp.max, n));
    rp.at = n;
    const seq = ++rp.seq;
    slider.value = String(n);
    pos.textContent = `Event ${n} of ${rp.max}`;
    told.textContent = `${n}. ${rp.texts.get(n) || ''}`;
    try {
      const json = await api.stateAt(gameId, n);
      if (seq !== rp.seq) return; // a later step already asked
      const ev = rp.events.find((e) => e.eventId === n);
      replace(table, renderTable(viewOf(json), { lastMove: ev || null }));
    } catch (err) {
      if (seq !== rp.seq) return;
      replace(table, h('p', { class: 'muted' }, err.message));
    }
    table.dataset.at = String(n);
  }

  function stopPlaying() {
    clearInterval(rp.timer);
    rp.timer = null;
    playBtn.setAttribute('aria-pressed', 'false');
    playBtn.textContent = 'Play';
  }

  function togglePlay() {
    if (rp.timer) return stopPlaying();
    if (rp.at >= rp.max) showAt(1);
    playBtn.setAttribute('aria-pressed', 'true');
    playBtn.textContent = 'Pause';
    rp.timer = setInterval(() => {
      if (rp.at >= rp.max) stopPlaying();
      else showAt(rp.at + 1);
    }, 700);
  }

  try {
    const game = await api.game(gameId);
    rp.events = eventList(await api.events(gameId, 0, 1000));
    const names = new Names();
    rp.texts = new Map(rp.events.map((e) => [e.eventId, describe(e, names)]));
    rp.max = Math.max(lastEventIdOf(game), rp.events.length ? rp.events[rp.events.length - 1].eventId : 0);
    slider.max = String(rp.max);
    const started = rp.events.find((e) => e.type === 'GameStarted');
    await showAt(at === 'end' ? rp.max : started ? started.eventId : 1);
  } catch (err) {
    onError(err);
  }
  return { stop: stopPlaying };
}
