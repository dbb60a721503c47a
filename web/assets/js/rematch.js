// Rematch: every player of a finished game who asks for a rematch lands in the same new game, whose
// id follows from the finished one ("friday" → "friday-r1" → "friday-r2"). The first to ask creates
// it with the same number of seats; the others join it. No server support is needed beyond ids.
import { api, ApiError } from './api.js';
import { rememberSeat, seatFor } from './seats.js';

const MAX_ID = 64;

/** The id of the rematch of `gameId`. */
export function rematchId(gameId) {
  const m = /^(.*)-r(\d{1,6})$/.exec(gameId);
  const base = m ? m[1] : gameId;
  const suffix = `-r${m ? Number(m[2]) + 1 : 1}`;
  return base.slice(0, MAX_ID - suffix.length) + suffix;
}

/** The rematch game's summary state ({status, players}) or null when nobody asked yet. */
export async function rematchState(gameId) {
  try {
    const json = await api.game(rematchId(gameId));
    return json && json.state ? json.state : null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Create (or find) the rematch and take a seat in it; returns its id. `bots` lists the levels of the
 * computer players of the finished game, who are seated again.
 */
export async function rematch(gameId, { numPlayers, name, bots = [] }) {
  const id = rematchId(gameId);
  if (seatFor(id)) return id;
  try {
    await api.createGame(numPlayers, bots.length ? { gameId: id, bots: bots.map((level) => ({ level })) } : { gameId: id });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'game_exists') throw err;
  }
  const joined = await api.join(id, name);
  rememberSeat(id, { ...joined, name });
  return id;
}
