// Which seat this tab holds in which game. sessionStorage is per tab and survives a reload,
// so a reload rejoins the same seat while another tab can take another seat.

const key = (gameId) => `caravan.seat.${gameId}`;

/** {gameId, playerId, seat, token, name} or null. */
export function seatFor(gameId) {
  try {
    const raw = sessionStorage.getItem(key(gameId));
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function rememberSeat(gameId, seat) {
  sessionStorage.setItem(key(gameId), JSON.stringify(seat));
}

export function forgetSeat(gameId) {
  sessionStorage.removeItem(key(gameId));
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
