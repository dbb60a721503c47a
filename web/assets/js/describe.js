// Events in words, for the event log and the replay viewer:
// "Ana traded YY→G twice", "Ben claimed 12 points and a gold coin".
import { merchantCard, effectText } from './cards.js';
import { letters, spices, total, LETTER } from './spices.js';
import { plural, timesWord } from './dom.js';

/**
 * One shape for events from every source: the WebSocket
 * ({type:"event", eventId, eventType, data}), REST lists ({eventId, event:{type,data}} or flattened).
 */
export function normaliseEvent(e) {
  if (!e || typeof e !== 'object') return null;
  const inner = e.event && typeof e.event === 'object' ? e.event : null;
  const type = e.eventType || (inner && inner.type) || (e.type !== 'event' ? e.type : undefined);
  const data = e.data || (inner && inner.data) || {};
  const eventId = Number(e.eventId ?? e.id ?? 0);
  return { eventId, type, data, timestamp: e.timestamp || null };
}

/** A list of events out of a REST answer (an array, or {events:[…]} / {items:[…]}). */
export function eventList(json) {
  const list = Array.isArray(json) ? json : json && (json.events || json.items || json.data);
  return (Array.isArray(list) ? list : []).map(normaliseEvent).filter((e) => e && e.type);
}

/** Seat → name, learnt from the state's players and from PlayerJoined events. */
export class Names {
  constructor() {
    this.bySeat = new Map();
  }
  fromState(state) {
    for (const p of (state && state.players) || []) if (p && p.name) this.bySeat.set(Number(p.seat), p.name);
  }
  learn(ev) {
    if (ev.type === 'PlayerJoined' && ev.data && ev.data.name) this.bySeat.set(Number(ev.data.seat), ev.data.name);
  }
  of(seat) {
    if (seat === null || seat === undefined) return 'Someone';
    return this.bySeat.get(Number(seat)) || `Seat ${Number(seat) + 1}`;
  }
}

function cubeText(s) {
  const t = letters(spices(s));
  return t || 'nothing';
}

function upgradeSteps(list) {
  const next = { yellow: 'red', red: 'green', green: 'brown' };
  return (list || []).map((k) => `${LETTER[k]}→${LETTER[next[k]] || '?'}`).join(', ');
}

/** A sentence for one event, or null for events not worth a line. */
export function describe(ev, names) {
  names.learn(ev);
  const d = ev.data || {};
  const who = names.of(d.seat);
  switch (ev.type) {
    case 'GameCreated':
      return `A game for ${plural(Number(d.numPlayers || 0), 'player')} was created`;
    case 'PlayerJoined':
      return `${d.name || who}${d.bot ? ` (computer, ${d.bot})` : ''} joined in seat ${Number(d.seat) + 1}`;
    case 'PlayerLeft':
      return d.forfeited ? `${who} left the game and forfeited` : `${who} left the table`;
    case 'GameStarted':
      return `The game started; ${names.of(d.firstSeat ?? 0)} goes first`;
    case 'CardPlayed': {
      const card = merchantCard(d.cardId);
      const times = Number(d.times || 1);
      const ups = d.upgrades || [];
      if (card.kind === 'upgrade' || (card.kind === 'unknown' && ups.length)) {
        return ups.length ? `${who} upgraded ${upgradeSteps(ups)}` : `${who} played an upgrade card without upgrading`;
      }
      if (card.kind === 'trade' || (card.kind === 'unknown' && total(d.paid) > 0)) {
        const t = card.kind === 'trade' ? effectText(d.cardId) : `${cubeText(d.paid)}→${cubeText(d.gained)}`;
        return `${who} traded ${t}${times > 1 ? ` ${timesWord(times)}` : ''}`;
      }
      return `${who} played ${effectText(d.cardId)}`;
    }
    case 'ItemAcquired': {
      const paid = (d.payment || []).length ? `, paying ${letters(d.payment)}` : '';
      const took = total(d.cubesTaken) > 0 ? ` and took ${cubeText(d.cubesTaken)} lying on it` : '';
      return `${who} acquired ${effectText(d.cardId)}${paid}${took}`;
    }
    case 'PlayerRested':
      return `${who} rested and took back ${plural((d.returned || []).length, 'card')}`;
    case 'ClaimCompleted': {
      const coin = d.coin ? ` and a ${d.coin} coin` : '';
      return `${who} claimed ${plural(Number(d.points || 0), 'point')}${coin}`;
    }
    case 'SpicesDiscarded':
      return `${who} discarded ${cubeText(d.spices)}`;
    case 'TurnTimedOut':
      return `${who} ran out of time${Number(d.consecutive) > 1 ? ` (${timesWord(Number(d.consecutive))} in a row)` : ''}`;
    case 'TurnEnded':
      return `${names.of(d.nextSeat)} to move (round ${d.round}${d.endTriggered ? ', the last round' : ''})`;
    case 'GameEnded': {
      if (d.reason === 'expired') return 'The game expired: its seats were not all taken in time';
      const scores = (d.scores || [])
        .map((s) => `${s.name || names.of(s.seat)} ${s.total}${s.forfeited ? ' (forfeited)' : ''}`)
        .join(', ');
      const winner = d.winner === null || d.winner === undefined ? 'no winner' : `${names.of(d.winner)} wins`;
      if (d.reason === 'expired') return 'Game closed: the seats did not fill in time';
      const why = d.reason === 'lastPlayerStanding' ? ' as the last player standing' : '';
      return `Game over: ${winner}${why}${scores ? ` — ${scores}` : ''}`;
    }
    default:
      return ev.type ? `${ev.type}` : null;
  }
}
