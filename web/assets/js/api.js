// REST calls. Errors come back as {"error":{"code","message"}}; they are thrown as ApiError
// so the page can show the server's own message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'http_error';
  }
}

async function call(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'The server cannot be reached.');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json && json.error) || {};
    let message = err.message || `${res.status} ${res.statusText}`;
    if (err.fields || err.details) message += ` (${JSON.stringify(err.fields || err.details)})`;
    throw new ApiError(res.status, err.code, message);
  }
  return json;
}

/** A list out of a list answer: an array, or {games|items|entries|…: […]}. */
export function listOf(json, ...keys) {
  if (Array.isArray(json)) return json;
  for (const k of [...keys, 'items', 'data', 'results']) if (json && Array.isArray(json[k])) return json[k];
  return [];
}

export const api = {
  /** `extra`: {gameId} and any other field of POST /api/games. */
  createGame: (numPlayers, extra = {}) => call('POST', '/api/games', { body: { numPlayers, ...extra } }),
  /** Seat a computer player of `level` (easy, greedy, strong) in a waiting game. */
  addBot: (gameId, level) => call('POST', `/api/games/${encodeURIComponent(gameId)}/bots`, { body: { level } }),
  join: (gameId, name) => call('POST', `/api/games/${encodeURIComponent(gameId)}/join`, { body: { name } }),
  leave: (gameId, token) => call('POST', `/api/games/${encodeURIComponent(gameId)}/leave`, { token }),
  listGames: async (status, limit = 50) =>
    listOf(await call('GET', `/api/games?status=${encodeURIComponent(status)}&limit=${limit}`), 'games'),
  /** The game now; with a player's token, that player's view (with its legal hints on its turn). */
  game: (gameId, token) => call('GET', `/api/games/${encodeURIComponent(gameId)}`, { token }),
  events: async (gameId, after = 0, limit = 1000) =>
    call('GET', `/api/games/${encodeURIComponent(gameId)}/events?after=${after}&limit=${limit}`),
  stateAt: (gameId, at) => call('GET', `/api/games/${encodeURIComponent(gameId)}/state?at=${at}`),
  leaderboard: async () => listOf(await call('GET', '/api/leaderboard'), 'leaderboard', 'entries', 'players'),
  stats: () => call('GET', '/api/stats'),
};

/** The game view inside an answer that may wrap it: {state:{…}} / {view:{…}} / the view itself. */
export function viewOf(json) {
  if (!json || typeof json !== 'object') return null;
  if (json.state && typeof json.state === 'object') return json.state;
  if (json.view && typeof json.view === 'object') return json.view;
  return json;
}

/** lastEventId from an answer: top level, or inside the view. */
export function lastEventIdOf(json) {
  if (!json) return 0;
  return Number(json.lastEventId ?? json.version ?? (json.state && json.state.lastEventId) ?? 0);
}

/** The id of a game summary, whatever it is called. */
export function gameIdOf(summary) {
  return summary.gameId ?? summary.id;
}
