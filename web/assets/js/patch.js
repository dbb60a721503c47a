// Protocol 2's `update` frames (docs/protocol.md, "Protocol 2: updates"): applying a patch to the
// state the client holds, and the events an update carries as `event` messages.

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
    return { type: 'event', gameId, eventId, eventType, schemaVersion, timestamp: last, data };
  });
}

/** The version an `update` brings the state to: its last event's id. */
export function updateVersion(update) {
  return Number(update.events[update.events.length - 1][0]);
}
