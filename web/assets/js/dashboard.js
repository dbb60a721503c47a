// dashboard.html: live counts (polling /api/stats), running games, leaderboard, and the replay viewer.
import { h, replace } from './dom.js';
import { api, gameIdOf, lastEventIdOf, viewOf } from './api.js';
import { loadCatalogue } from './cards.js';
import { renderTable } from './table.js';
import { Names, describe, eventList } from './describe.js';

const $ = (id) => document.getElementById(id);
const errorBox = $('dash-error');

// ---- live counts ------------------------------------------------------------------------------

/** Flatten {games:{waiting:1}} into [['games waiting', 1]] keeping only numbers. */
function flatten(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const name = prefix ? `${prefix} ${k}` : k;
    if (typeof v === 'number') out.push([name, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v, name));
  }
  return out;
}

function words(key) {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_.]/g, ' ')
    .toLowerCase()
    .replace(/ per sec(ond)?\b/, '/s')
    .replace(/ ps\b/, '/s');
}

const ORDER = [/waiting/i, /active|running/i, /finished/i, /connection|socket/i, /command.*(per|rate|\/s)/i, /command/i, /event/i];
function rank(key) {
  const i = ORDER.findIndex((re) => re.test(key));
  return i === -1 ? ORDER.length : i;
}

let lastCommands = null;
async function pollStats() {
  try {
    const stats = await api.stats();
    const pairs = flatten(stats);
    const hasRate = pairs.some(([k]) => /command/i.test(k) && /(per|rate|\/s|ps$)/i.test(k));
    if (!hasRate) {
      // Derive commands/s from a running total between two polls.
      const totalPair = pairs.find(([k]) => /command/i.test(k) && /total|count|^commands$/i.test(k));
      if (totalPair) {
        const now = performance.now();
        if (lastCommands) {
          const rate = (totalPair[1] - lastCommands.n) / ((now - lastCommands.t) / 1000);
          pairs.push(['commands per second', Math.max(0, Math.round(rate * 10) / 10)]);
        }
        lastCommands = { n: totalPair[1], t: now };
      }
    }
    pairs.sort((a, b) => rank(a[0]) - rank(b[0]));
    replace(
      $('tiles'),
      pairs.map(([k, v]) =>
        h('div', { class: 'tile', dataset: { key: k } }, h('span', { class: 'tile-value' }, String(Math.round(v * 10) / 10)), h('span', { class: 'tile-label' }, words(k))),
      ),
    );
    errorBox.textContent = '';
  } catch (err) {
    errorBox.textContent = `Stats: ${err.message}`;
  }
}

// ---- running games & leaderboard -------------------------------------------------------------

function cell(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? x.name ?? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function scoresText(s) {
  const players = s.players || [];
  const scores = s.scores || [];
  if (Array.isArray(scores) && scores.length) {
    return scores
      .map((x, i) => {
        if (typeof x === 'number') return `${cell(players[i] && (players[i].name || players[i]))} ${x}`;
        return `${x.name || cell(players[x.seat] && (players[x.seat].name || players[x.seat]))} ${x.total ?? x.score ?? ''}`;
      })
      .join(', ');
  }
  return players.map((p) => (typeof p === 'string' ? p : `${p.name}${p.score !== undefined ? ` ${p.score}` : ''}`)).join(', ');
}

function toMove(s) {
  const seat = s.currentSeat ?? s.seatToMove ?? s.toMove;
  if (seat === null || seat === undefined) return '';
  const p = (s.players || []).find((x, i) => (x && typeof x === 'object' && 'seat' in x ? Number(x.seat) : i) === Number(seat));
  return p ? (typeof p === 'string' ? p : p.name) : `seat ${Number(seat) + 1}`;
}

async function pollGames() {
  try {
    const [active, waiting, finished] = await Promise.all([api.listGames('active'), api.listGames('waiting'), api.listGames('finished')]);
    replace(
      $('running'),
      h('caption', { class: 'visually-hidden' }, 'Running games'),
      h('thead', {}, h('tr', {}, ['Game', 'Players and scores', 'To move', 'Events', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        active.length
          ? active.map((s) => {
              const id = gameIdOf(s);
              return h(
                'tr',
                { dataset: { gameId: id } },
                h('td', {}, h('code', {}, id)),
                h('td', {}, scoresText(s)),
                h('td', {}, toMove(s)),
                h('td', {}, cell(s.version ?? s.lastEventId)),
                h(
                  'td',
                  { class: 'row-actions' },
                  h('a', { class: 'btn', href: `/#/watch/${encodeURIComponent(id)}`, 'aria-label': `Watch game ${id}` }, 'Watch'),
                  h('button', { 'aria-label': `Replay game ${id}`, onclick: () => loadReplay(id) }, 'Replay'),
                ),
              );
            })
          : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No game is running.')),
      ),
    );
    replace(
      $('replay-games'),
      [...active, ...finished, ...waiting].map((s) => h('option', { value: gameIdOf(s) }, `${gameIdOf(s)} (${s.status || ''})`)),
    );
  } catch (err) {
    errorBox.textContent = `Games: ${err.message}`;
  }
}

async function pollLeaderboard() {
  try {
    const rows = await api.leaderboard();
    const cols = rows.length ? Object.keys(rows[0]).filter((k) => !/token/i.test(k)) : [];
    replace(
      $('leaderboard'),
      h('caption', { class: 'visually-hidden' }, 'Leaderboard'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), cols.map((c) => h('th', { scope: 'col' }, words(c))))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r, i) => h('tr', {}, h('td', {}, String(i + 1)), cols.map((c) => h('td', {}, cell(r[c])))))
          : h('tr', {}, h('td', { class: 'muted' }, 'No finished games yet.')),
      ),
    );
  } catch (err) {
    errorBox.textContent = `Leaderboard: ${err.message}`;
  }
}

// ---- replay viewer -----------------------------------------------------------------------------

const rp = { gameId: null, max: 0, at: 0, texts: new Map(), timer: null, seq: 0 };

async function loadReplay(gameId) {
  stopPlaying();
  $('replay-game').value = gameId;
  try {
    const game = await api.game(gameId);
    const events = eventList(await api.events(gameId, 0, 1000));
    const names = new Names();
    rp.texts = new Map(events.map((e) => [e.eventId, describe(e, names)]));
    rp.gameId = gameId;
    rp.max = Math.max(lastEventIdOf(game), events.length ? events[events.length - 1].eventId : 0);
    const slider = $('rp-slider');
    slider.max = String(rp.max);
    $('replay-controls').hidden = false;
    errorBox.textContent = '';
    history.replaceState(null, '', `#replay=${encodeURIComponent(gameId)}`);
    await showAt(rp.max);
    $('replay').scrollIntoView({ block: 'start' });
  } catch (err) {
    errorBox.textContent = `Replay: ${err.message}`;
  }
}

async function showAt(n) {
  if (!rp.gameId) return;
  // Event 1 (the game's creation) is the first state there is.
  n = Math.max(1, Math.min(rp.max, n));
  rp.at = n;
  const seq = ++rp.seq;
  $('rp-slider').value = String(n);
  $('rp-pos').textContent = `Event ${n} of ${rp.max}`;
  $('rp-event').textContent = `${n}. ${rp.texts.get(n) || ''}`;
  try {
    const json = await api.stateAt(rp.gameId, n);
    if (seq !== rp.seq) return; // a later step already asked
    replace($('rp-table'), renderTable(viewOf(json)));
    $('rp-table').dataset.at = String(n);
  } catch (err) {
    if (seq !== rp.seq) return;
    replace($('rp-table'), h('p', { class: 'muted' }, err.message));
    $('rp-table').dataset.at = String(n);
  }
}

function stopPlaying() {
  clearInterval(rp.timer);
  rp.timer = null;
  $('rp-play').setAttribute('aria-pressed', 'false');
  $('rp-play').textContent = 'Play';
}

function togglePlay() {
  if (rp.timer) return stopPlaying();
  if (rp.at >= rp.max) showAt(1);
  $('rp-play').setAttribute('aria-pressed', 'true');
  $('rp-play').textContent = 'Pause';
  rp.timer = setInterval(() => {
    if (rp.at >= rp.max) stopPlaying();
    else showAt(rp.at + 1);
  }, 700);
}

$('replay-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('replay-game').value.trim();
  if (id) loadReplay(id);
});
$('rp-first').addEventListener('click', () => (stopPlaying(), showAt(1)));
$('rp-prev').addEventListener('click', () => (stopPlaying(), showAt(rp.at - 1)));
$('rp-next').addEventListener('click', () => (stopPlaying(), showAt(rp.at + 1)));
$('rp-last').addEventListener('click', () => (stopPlaying(), showAt(rp.max)));
$('rp-play').addEventListener('click', togglePlay);
$('rp-slider').addEventListener('input', (e) => (stopPlaying(), showAt(Number(e.target.value))));

// ---- start -------------------------------------------------------------------------------------

await loadCatalogue();
pollStats();
pollGames();
pollLeaderboard();
setInterval(pollStats, 2000);
setInterval(pollGames, 3000);
setInterval(pollLeaderboard, 10000);
const m = /^#replay=(.+)$/.exec(location.hash);
if (m) loadReplay(decodeURIComponent(m[1]));
