// Which seat this browser holds in which game. A seat (its token) is kept in localStorage, so it
// survives a closed tab and is listed under "My games" in the lobby; the tab's own copy in
// sessionStorage wins, so two tabs of one browser can still hold two seats of one game.

const key = (gameId) => `caravan.seat.${gameId}`;
const MINE = 'caravan.mygames';
/** At most this many games are remembered; the oldest are forgotten first. */
const KEEP = 30;

function read(store, k) {
  try {
    const raw = store.getItem(k);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function write(store, k, v) {
  try {
    if (v === null) store.removeItem(k);
    else store.setItem(k, JSON.stringify(v));
  } catch {
    // private mode or a full store: the seat lasts as long as the tab
  }
}

/** {gameId, playerId, seat, token, name, joinedAt} or null. */
export function seatFor(gameId) {
  return read(sessionStorage, key(gameId)) || myGames().find((g) => g.gameId === gameId) || null;
}

export function rememberSeat(gameId, seat) {
  const entry = { ...seat, gameId, joinedAt: seat.joinedAt || new Date().toISOString() };
  write(sessionStorage, key(gameId), entry);
  const rest = myGames().filter((g) => g.gameId !== gameId);
  write(localStorage, MINE, [entry, ...rest].slice(0, KEEP));
}

export function forgetSeat(gameId) {
  write(sessionStorage, key(gameId), null);
  write(localStorage, MINE, myGames().filter((g) => g.gameId !== gameId));
}

/** The games this browser holds a seat in, newest first. */
export function myGames() {
  const list = read(localStorage, MINE);
  return Array.isArray(list) ? list.filter((g) => g && typeof g.gameId === 'string' && typeof g.token === 'string') : [];
}

/** The name last typed in this browser, to fill the form. */
export function playerName() {
  try {
    return localStorage.getItem('caravan.name') || '';
  } catch {
    return '';
  }
}

export function setPlayerName(name) {
  try {
    localStorage.setItem('caravan.name', name);
  } catch {
    // private mode: nothing to remember
  }
}
