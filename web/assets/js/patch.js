// The `update` frames of protocols 2 to 4 (docs/protocol.md, "Protocol 2: updates", "Protocol 3:
// updates with compact events" and "Protocol 4: packed updates"): reading protocol 4's array,
// applying a patch to the state the client holds, and the events an update carries as `event`
// messages.

/**
 * Protocol 3: the members of each event type's data, in the order of the values it sends (the
 * table of docs/protocol.md; the server's tests hold this one against its own).
 */
export const MEMBERS = {
  GameCreated: ['numPlayers', 'rules'],
  PlayerJoined: ['seat', 'playerId', 'name', 'bot'],
  PlayerLeft: ['seat', 'playerId', 'forfeited'],
  GameStarted: ['merchantRow', 'pointRow', 'gold', 'silver', 'caravans', 'firstSeat'],
  CardPlayed: ['seat', 'cardId', 'gained', 'paid', 'times', 'upgrades'],
  ItemAcquired: ['seat', 'slot', 'cardId', 'payment', 'cubesTaken', 'revealed'],
  PlayerRested: ['seat', 'returned'],
  ClaimCompleted: ['seat', 'slot', 'cardId', 'points', 'paid', 'coin', 'revealed'],
  SpicesDiscarded: ['seat', 'spices'],
  TurnTimedOut: ['seat', 'consecutive'],
  TurnEnded: ['seat', 'nextSeat', 'round', 'endTriggered'],
  GameEnded: ['scores', 'winner', 'reason'],
};

const COLOURS = ['yellow', 'red', 'green', 'brown'];
const SPICE_MEMBERS = ['gained', 'paid', 'cubesTaken', 'spices'];
const spiceMap = (counts) => Object.fromEntries(COLOURS.map((colour, i) => [colour, counts[i]]));

/**
 * An event's data as the `event` frame has it: protocol 3's array of values rebuilt into the
 * object (a `bot` that is null left out, as the event frame leaves it out), protocol 2's object
 * as it is.
 */
export function eventData(eventType, data) {
  if (!Array.isArray(data)) return data;
  const members = MEMBERS[eventType];
  if (!members || members.length !== data.length) throw new Error(`unreadable ${eventType}: ${JSON.stringify(data)}`);
  const object = {};
  members.forEach((name, i) => {
    if (name === 'bot' && data[i] === null) return;
    object[name] = SPICE_MEMBERS.includes(name) ? spiceMap(data[i]) : data[i];
  });
  if (eventType === 'GameStarted') object.caravans = object.caravans.map(spiceMap);
  return object;
}

/**
 * Protocol 4's `update` frame, `[events, patch]`, as protocol 3's object: each event's timestamp
 * (milliseconds since the epoch) as the `event` frame's text, and the patch's `legal` hints
 * (`[playable, acquirable, claimable, canRest, discardOwed]`, each playable card `[cardId, kind,
 * maxTimes, upgradeSteps]`) as the object. Any other message is returned as it is.
 */
export function unpack(frame) {
  if (!Array.isArray(frame)) return frame;
  const [events, patch] = frame;
  if (!Array.isArray(events) || patch === null || typeof patch !== 'object' || frame.length !== 2) {
    throw new Error(`unreadable update: ${JSON.stringify(frame).slice(0, 200)}`);
  }
  const iso = (t) => (t === null ? null : new Date(t).toISOString());
  const unpacked = { ...patch };
  if (Array.isArray(patch.legal)) {
    const [playable, acquirable, claimable, canRest, discardOwed] = patch.legal;
    unpacked.legal = {
      playable: playable.map(([cardId, kind, maxTimes, upgradeSteps]) => ({ cardId, kind, maxTimes, upgradeSteps })),
      acquirable,
      claimable,
      canRest,
      discardOwed,
    };
  }
  return {
    type: 'update',
    events: events.map(([id, type, version, timestamp, data]) => [id, type, version, iso(timestamp), data]),
    patch: unpacked,
  };
}

/**
 * Applies `patch` to `state` in place, member by member: an object onto an object (or onto an
 * array, whose elements its keys index) is applied recursively, except that `{"-":[…],"+":[…]}`
 * onto an array removes the elements at those indexes and appends those elements; anything else
 * replaces the value. Returns `state`.
 */
export function applyPatch(state, patch) {
  for (const [key, value] of Object.entries(patch)) {
    const target = state[key];
    const object = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (object && Array.isArray(target) && ('-' in value || '+' in value)) {
      const removed = value['-'] ?? [];
      state[key] = target.filter((_, i) => !removed.includes(i)).concat(value['+'] ?? []);
    } else if (object && target !== null && typeof target === 'object') {
      applyPatch(target, value);
    } else {
      state[key] = value;
    }
  }
  return state;
}

/**
 * The events of an `update`, each `[eventId, eventType, schemaVersion, timestamp, data]`, as `event`
 * messages (a null timestamp is the one of the event before it).
 */
export function updateEvents(gameId, update) {
  let last = null;
  return update.events.map(([eventId, eventType, schemaVersion, timestamp, data]) => {
    last = timestamp ?? last;
    return { type: 'event', gameId, eventId, eventType, schemaVersion, timestamp: last, data: eventData(eventType, data) };
  });
}

/** The version an `update` brings the state to: its last event's id. */
export function updateVersion(update) {
  return Number(update.events[update.events.length - 1][0]);
}
