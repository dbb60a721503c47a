// A complete caravan client in one file: it opens a game against a computer player, takes the
// other seat and plays to the end from the server's `legal` hints alone (docs/protocol.md,
// "Playing a game: what a client implements, in order").
//
//   node --experimental-websocket examples/bot.mjs [BASE_URL] [LEVEL]
//
// BASE_URL defaults to http://127.0.0.1:8080, LEVEL (the opponent) to easy. Node 20 needs the flag
// for its built-in WebSocket (Node 22 and later have it without). Exits 0 with the final scores
// on stdout once the game has ended, 1 on any error.

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const level = process.argv[3] ?? 'easy';

async function post(path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${json.error.code}: ${json.error.message}`);
  return json;
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const ORDER = ['yellow', 'red', 'green', 'brown']; // cheapest first

// Cubes as a list, cheapest first: {yellow:2,red:1,…} → ['yellow','yellow','red'].
const cubeList = (spices) => ORDER.flatMap((c) => Array(spices[c]).fill(c));

// One move allowed by `legal`, for the caravan `caravan`.
function choose(legal, caravan) {
  if (legal.discardOwed !== null) {
    const spices = { yellow: 0, red: 0, green: 0, brown: 0 };
    for (const c of cubeList(caravan).slice(0, legal.discardOwed)) spices[c] += 1;
    return { type: 'discard', spices };
  }
  if (legal.claimable.length > 0) return { type: 'claim', slot: legal.claimable[0] };
  const roll = Math.random();
  if (legal.acquirable.length > 1 && roll < 0.2) {
    const slot = pick(legal.acquirable);
    return { type: 'acquire', slot, payment: cubeList(caravan).slice(0, slot) };
  }
  if (legal.playable.length > 0 && (roll < 0.85 || !legal.canRest)) {
    const card = pick(legal.playable);
    if (card.kind === 'trade') return { type: 'playCard', cardId: card.cardId, times: card.maxTimes };
    if (card.kind === 'upgrade') {
      // Raise the cheapest cube that can rise, one step at a time.
      const cubes = { ...caravan };
      const upgrades = [];
      for (let step = 0; step < card.upgradeSteps; step += 1) {
        const colour = ORDER.slice(0, 3).find((c) => cubes[c] > 0);
        if (!colour) break;
        upgrades.push(colour);
        cubes[colour] -= 1;
        cubes[ORDER[ORDER.indexOf(colour) + 1]] += 1;
      }
      return { type: 'playCard', cardId: card.cardId, upgrades };
    }
    return { type: 'playCard', cardId: card.cardId };
  }
  if (legal.canRest) return { type: 'rest' };
  return { type: 'acquire', slot: 0, payment: [] };
}

// Protocol 2 (docs/protocol.md, "Protocol 2: updates"): each commit comes as one `update` whose
// `patch` is merged into the state we hold — objects (and arrays, by index) member by member, a
// list of cards by its removals (`-`, indexes) and additions (`+`), anything else replaced.
function apply(state, patch) {
  for (const [key, value] of Object.entries(patch)) {
    const target = state[key];
    const object = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (object && Array.isArray(target) && ('-' in value || '+' in value)) {
      state[key] = target.filter((_, i) => !(value['-'] ?? []).includes(i)).concat(value['+'] ?? []);
    } else if (object && target !== null && typeof target === 'object') apply(target, value);
    else state[key] = value;
  }
}

// 1–2: a game with a computer player in seat 0; our join fills seat 1 and starts it.
const game = await post('/api/games', { numPlayers: 2, bots: [{ level }] });
const me = await post(`/api/games/${game.gameId}/join`, { name: 'Example bot' });

// 3: the table.
const wsUrl = `${base.replace(/^http/, 'ws')}/ws?gameId=${game.gameId}&token=${encodeURIComponent(me.token)}`;
const ws = new WebSocket(wsUrl);
let sent = 0;
let waiting = null; // the requestId of the command in flight
let latest = null; // the latest state

// 4: on our turn (`legal` is an object), one move that `legal` allows.
function act() {
  if (waiting !== null || latest === null || latest.legal === null) return;
  const command = choose(latest.legal, latest.players[me.seat].caravan);
  waiting = crypto.randomUUID();
  sent += 1;
  ws.send(JSON.stringify({ type: 'command', requestId: waiting, command }));
}

ws.onmessage = ({ data }) => {
  const msg = JSON.parse(data);
  if (msg.type === 'error') throw new Error(`${msg.error.code}: ${msg.error.message}`);
  if (msg.type === 'welcome' || msg.type === 'state') latest = msg.state;
  if (msg.type === 'update') apply(latest, msg.patch);
  if (msg.type === 'commandResult' && msg.requestId === waiting) {
    // 5: a refused command wrote nothing.
    if (!msg.ok) throw new Error(`refused: ${msg.error.code}: ${msg.error.message}`);
    waiting = null;
  }
  // An update's events are [eventId, eventType, schemaVersion, timestamp, data].
  const ended = msg.type === 'update' && msg.events.find(([, type]) => type === 'GameEnded');
  if (ended) {
    // 7: the end.
    const { scores, winner, reason } = ended[4];
    console.log(JSON.stringify({ gameId: game.gameId, seat: me.seat, moves: sent, winner, reason, scores }));
    ws.close();
    return;
  }
  act();
};
ws.onerror = (e) => {
  console.error('WebSocket error', e.message ?? e);
  process.exit(1);
};
process.on('uncaughtException', (e) => {
  console.error(e.message);
  process.exit(1);
});
