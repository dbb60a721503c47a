// dashboard.html: what the server is doing now (tiles), over the last minutes (charts: polling
// /api/stats and /metrics), running games, the leaderboard, and the replay viewer.
import { h, replace } from './dom.js';
import { api, gameIdOf } from './api.js';
import { loadCatalogue } from './cards.js';
import { mountReplay } from './replay.js';
import { LineChart } from './charts.js';
import { bucketDelta, latencyBuckets, quantileMs } from './metrics.js';

const $ = (id) => document.getElementById(id);
const errorBox = $('dash-error');

// ---- now and the last minutes ------------------------------------------------------------------

/** "3 h 05 min", "4 min 09 s", "12 s". */
export function duration(secs) {
  const s = Math.floor(Number(secs) || 0);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

const charts = {
  commands: new LineChart($('chart-commands'), { series: ['commands/s'], what: 'Commands per second' }),
  latency: new LineChart($('chart-latency'), { series: ['p50', 'p95', 'p99'], unit: ' ms', what: 'Command latency' }),
  connections: new LineChart($('chart-connections'), { series: ['open connections'], what: 'Open WebSocket connections' }),
  games: new LineChart($('chart-games'), { series: ['waiting', 'running', 'finished'], what: 'Games by status' }),
};

let previous = null; // {t, commands, buckets}

function tile(key, value, label) {
  return h('div', { class: 'tile', dataset: { key } }, h('span', { class: 'tile-value' }, String(value)), h('span', { class: 'tile-label' }, label));
}

async function poll() {
  const t = performance.now();
  let stats;
  let buckets = [];
  try {
    const [s, metrics] = await Promise.all([api.stats(), fetch('/metrics').then((r) => (r.ok ? r.text() : ''))]);
    stats = s;
    buckets = latencyBuckets(metrics);
    errorBox.textContent = '';
  } catch (err) {
    errorBox.textContent = `Stats: ${err.message}`;
    return;
  }
  const games = stats.games || {};
  const commands = Number(stats.commandsTotal || 0);
  const secs = previous ? (t - previous.t) / 1000 : 0;
  const rate = previous && secs > 0 ? Math.max(0, (commands - previous.commands) / secs) : null;
  const recent = previous ? bucketDelta(buckets, previous.buckets) : [];
  const pct = (q) => quantileMs(recent, q);
  previous = { t, commands, buckets };

  replace(
    $('tiles'),
    tile('games waiting', games.waiting ?? 0, 'games waiting'),
    tile('games active', games.active ?? 0, 'games running'),
    tile('games finished', games.finished ?? 0, 'games finished'),
    tile('open connections', stats.openConnections ?? 0, 'open connections'),
    tile('commands per second', rate === null ? '…' : Math.round(rate * 10) / 10, 'commands per second'),
    tile('events', stats.events ?? 0, 'events stored'),
    tile('players', stats.players ?? 0, 'players'),
    tile('uptime', duration(stats.uptimeSecs), 'up for'),
  );

  if (rate === null) return; // the first reading only sets the baseline
  const now = Date.now() / 1000;
  charts.commands.push(now, [rate]);
  charts.latency.push(now, [pct(0.5), pct(0.95), pct(0.99)]);
  charts.connections.push(now, [Number(stats.openConnections ?? 0)]);
  charts.games.push(now, [Number(games.waiting ?? 0), Number(games.active ?? 0), Number(games.finished ?? 0)]);
}

/** A column name in words: "totalScore" → "total score". */
function words(key) {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_.]/g, ' ')
    .toLowerCase();
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

let replaying = null;

async function loadReplay(gameId) {
  if (replaying) replaying.stop();
  $('replay-game').value = gameId;
  history.replaceState(null, '', `#replay=${encodeURIComponent(gameId)}`);
  errorBox.textContent = '';
  replaying = await mountReplay($('replay-view'), gameId, { onError: (err) => (errorBox.textContent = `Replay: ${err.message}`) });
  $('replay').scrollIntoView({ block: 'start' });
}

$('replay-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('replay-game').value.trim();
  if (id) loadReplay(id);
});

// ---- start -------------------------------------------------------------------------------------

await loadCatalogue();
poll();
pollGames();
pollLeaderboard();
setInterval(poll, 2000);
setInterval(pollGames, 3000);
setInterval(pollLeaderboard, 10000);
const m = /^#replay=(.+)$/.exec(location.hash);
if (m) loadReplay(decodeURIComponent(m[1]));
