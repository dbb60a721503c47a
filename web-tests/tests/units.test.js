// The client's pure parts, run in Node without a browser: latency percentiles from Prometheus text,
// rematch ids, the score in parts, the order of a hand, the turn bar's sentence, and protocols 2 to 4's
// patches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketDelta, latencyBuckets, quantileMs } from '../../web/assets/js/metrics.js';
import { rematchId } from '../../web/assets/js/rematch.js';
import { breakdown, cardsToEnd, fromFinal, partsText } from '../../web/assets/js/score.js';
import { sortMerchant } from '../../web/assets/js/cards.js';
import { turnMessage } from '../../web/assets/js/game.js';
import { Names, describe as tell } from '../../web/assets/js/describe.js';
import { applyPatch, unpack, updateEvents, updateVersion } from '../../web/assets/js/patch.js';

const METRICS = (n1, n2, inf) => `# HELP caravan_command_duration_seconds Time from receiving a command to its result
# TYPE caravan_command_duration_seconds histogram
caravan_command_duration_seconds_bucket{type="playCard",le="0.001"} ${n1}
caravan_command_duration_seconds_bucket{type="playCard",le="0.01"} ${n2}
caravan_command_duration_seconds_bucket{type="playCard",le="+Inf"} ${inf}
caravan_command_duration_seconds_bucket{type="rest",le="0.001"} 1
caravan_command_duration_seconds_bucket{type="rest",le="0.01"} 1
caravan_command_duration_seconds_bucket{type="rest",le="+Inf"} 1
caravan_commands_total{outcome="accepted",type="playCard"} ${inf}
`;

describe('latency percentiles from /metrics', () => {
  it('sums the buckets over command types', () => {
    assert.deepEqual(latencyBuckets(METRICS(2, 8, 10)), [
      [0.001, 3],
      [0.01, 9],
      [Infinity, 11],
    ]);
  });

  it('interpolates within the bucket that holds the quantile, over the commands between two readings', () => {
    const before = latencyBuckets(METRICS(2, 8, 10));
    const now = latencyBuckets(METRICS(2, 18, 20)); // 10 more commands, all between 1 and 10 ms
    const recent = bucketDelta(now, before);
    assert.deepEqual(recent, [
      [0.001, 0],
      [0.01, 10],
      [Infinity, 10],
    ]);
    const near = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);
    near(quantileMs(recent, 0.5), 5.5);
    near(quantileMs(recent, 1), 10);
  });

  it('says the last bound for commands beyond it, and nothing when no command came', () => {
    assert.ok(Math.abs(quantileMs([[0.001, 0], [0.01, 0], [Infinity, 4]], 0.99) - 10) < 1e-9);
    assert.equal(quantileMs([[0.001, 0], [Infinity, 0]], 0.5), null);
    assert.equal(quantileMs([], 0.5), null);
  });
});

describe('rematch ids', () => {
  it('follow from the finished game and stay within 64 characters', () => {
    assert.equal(rematchId('friday'), 'friday-r1');
    assert.equal(rematchId('friday-r1'), 'friday-r2');
    assert.equal(rematchId('friday-r9'), 'friday-r10');
    const long = 'x'.repeat(64);
    assert.equal(rematchId(long), `${'x'.repeat(61)}-r1`);
    assert.equal(rematchId(rematchId(long)), `${'x'.repeat(61)}-r2`);
  });
});

describe('the score in parts', () => {
  it('counts coins at 3 and 1 and every cube that is not yellow', () => {
    const b = breakdown({ claimed: [], gold: 1, silver: 2, caravan: { yellow: 4, red: 1, green: 1, brown: 1 }, score: 8 });
    assert.deepEqual(b, { cards: 0, coins: 5, cubes: 3, total: 8, gold: 1, silver: 2 });
    assert.equal(partsText(b), 'cards 0 + coins 5 + cubes 3');
    assert.deepEqual(fromFinal({ cards: 20, gold: 1, silver: 0, cubes: 2, total: 25 }), { cards: 20, coins: 3, cubes: 2, total: 25, gold: 1, silver: 0 });
  });

  it('ends at the rules’ number of point cards, 6 or 5 by default', () => {
    assert.equal(cardsToEnd({ rules: { pointCardsToEnd: 3 }, numPlayers: 2 }), 3);
    assert.equal(cardsToEnd({ numPlayers: 2 }), 6);
    assert.equal(cardsToEnd({ numPlayers: 4 }), 5);
  });
});

describe('a hand in order', () => {
  it('puts the starting spice card before the upgrade, whatever order the server keeps', () => {
    assert.deepEqual(sortMerchant(['S02', 'S01']), ['S01', 'S02']);
  });
});

describe('the turn bar', () => {
  const view = (extra) => ({
    status: 'active',
    numPlayers: 2,
    players: [
      { seat: 0, name: 'Ana' },
      { seat: 1, name: 'Ben', bot: 'easy' },
    ],
    currentSeat: 0,
    ...extra,
  });

  it('lists what the player may do, from the legal hints', () => {
    const legal = { playable: [{ cardId: 'S01' }], acquirable: [0], claimable: [1], canRest: true };
    assert.deepEqual(turnMessage(view({ viewerSeat: 0, legal }), 0), { text: 'Your turn: play a card, take a merchant card, rest or claim', tone: 'mine' });
    assert.deepEqual(turnMessage(view({ viewerSeat: 0, legal: { playable: [{ cardId: 'S01' }] } }), 0).text, 'Your turn: play a card');
  });

  it('asks for a discard, and says who is thinking', () => {
    assert.equal(turnMessage(view({ awaitingDiscard: 2, legal: { discardOwed: 2 } }), 0).text, 'Discard 2 cubes to end your turn');
    assert.equal(turnMessage(view({ currentSeat: 1 }), 0).text, 'Ben is thinking…');
    assert.equal(turnMessage(view({ currentSeat: 1, awaitingDiscard: 1 }), null).text, 'Ben is discarding 1 cube…');
    assert.equal(turnMessage(view({ status: 'finished', winner: 0 }), 0).text, 'Game over — you win!');
    assert.equal(turnMessage(view({ status: 'finished', winner: 1 }), 0).text, 'Game over — Ben wins');
  });
});

describe('the story in words', () => {
  it('tells a game that ended by the rules, and one that expired', () => {
    const names = new Names();
    tell({ type: 'PlayerJoined', data: { seat: 0, name: 'Ana' } }, names);
    tell({ type: 'PlayerJoined', data: { seat: 1, name: 'Ben' } }, names);
    const scores = [
      { seat: 0, name: 'Ana', total: 9 },
      { seat: 1, name: 'Ben', total: 2 },
    ];
    assert.equal(tell({ type: 'GameEnded', data: { scores, winner: 0, reason: 'pointCards' } }, names), 'Game over: Ana wins — Ana 9, Ben 2');
    assert.equal(tell({ type: 'GameEnded', data: { scores: [], winner: null, reason: 'expired' } }, names), 'The game expired: its seats were not all taken in time');
    assert.equal(tell({ type: 'TurnTimedOut', data: { seat: 1, consecutive: 2 } }, names), 'Ben ran out of time (twice in a row)');
  });
});

describe('the updates of protocols 2 to 4', () => {
  it('applies a patch member by member: objects merge, arrays are patched by index, the rest replaces', () => {
    const state = {
      players: [
        { seat: 0, caravan: { yellow: 3, red: 0, green: 0, brown: 0 }, hand: ['S01', 'S02'], played: [] },
        { seat: 1, caravan: { yellow: 4, red: 0, green: 0, brown: 0 }, hand: ['S01'], played: [] },
      ],
      rules: null,
      currentSeat: 0,
      legal: { playable: [{ cardId: 'S01' }], canRest: false },
      winner: null,
    };
    applyPatch(state, {
      players: { 0: { caravan: { yellow: 5 }, hand: ['S02'], played: ['S01'] } },
      rules: { caravanCapacity: 10 },
      currentSeat: 1,
      legal: null,
    });
    assert.deepEqual(state.players[0], { seat: 0, caravan: { yellow: 5, red: 0, green: 0, brown: 0 }, hand: ['S02'], played: ['S01'] });
    assert.deepEqual(state.players[1].caravan.yellow, 4);
    assert.deepEqual(state.rules, { caravanCapacity: 10 });
    assert.equal(state.currentSeat, 1);
    assert.equal(state.legal, null);
    applyPatch(state, { players: { 1: { hand: { '-': [0], '+': ['M10', 'M11'] }, played: { '+': ['S01'] } } } });
    assert.deepEqual(state.players[1].hand, ['M10', 'M11'], 'a list of cards: removals, then additions');
    assert.deepEqual(state.players[1].played, ['S01']);
    applyPatch(state, { players: { 0: { hand: { '-': [0, 1] } } } });
    assert.deepEqual(state.players[0].hand, []);
    applyPatch(state, { players: [{ seat: 0 }], winner: 0 });
    assert.deepEqual(state.players, [{ seat: 0 }], 'an array replaces the whole array');
    assert.equal(state.winner, 0);
  });

  it("reads an update's events as event messages", () => {
    const update = {
      type: 'update',
      events: [
        [7, 'PlayerRested', 1, '2026-01-01T00:00:00Z', { seat: 0, returned: [] }],
        [8, 'TurnEnded', 1, null, { seat: 0 }],
      ],
      patch: {},
    };
    assert.deepEqual(updateEvents('g', update), [
      { type: 'event', gameId: 'g', eventId: 7, eventType: 'PlayerRested', schemaVersion: 1, timestamp: '2026-01-01T00:00:00Z', data: { seat: 0, returned: [] } },
      { type: 'event', gameId: 'g', eventId: 8, eventType: 'TurnEnded', schemaVersion: 1, timestamp: '2026-01-01T00:00:00Z', data: { seat: 0 } },
    ]);
    assert.equal(updateVersion(update), 8);
  });

  it("reads protocol 3's values back into the event frames' data", () => {
    const update = {
      type: 'update',
      events: [
        [9, 'CardPlayed', 1, '2026-01-01T00:00:00Z', [1, 'S02', [0, 2, 0, 0], [2, 0, 0, 0], 1, ['yellow', 'yellow']]],
        [10, 'TurnEnded', 1, null, [1, 2, 1, false]],
        [11, 'PlayerJoined', 1, null, [2, 'p-3', 'Ana', null]],
        [12, 'GameStarted', 1, null, [['M10'], ['P01'], 4, 4, [[3, 0, 0, 0], [4, 0, 0, 0]], 0]],
      ],
      patch: {},
    };
    assert.deepEqual(updateEvents('g', update).map((e) => e.data), [
      { seat: 1, cardId: 'S02', gained: { yellow: 0, red: 2, green: 0, brown: 0 }, paid: { yellow: 2, red: 0, green: 0, brown: 0 }, times: 1, upgrades: ['yellow', 'yellow'] },
      { seat: 1, nextSeat: 2, round: 1, endTriggered: false },
      { seat: 2, playerId: 'p-3', name: 'Ana' },
      { merchantRow: ['M10'], pointRow: ['P01'], gold: 4, silver: 4, caravans: [{ yellow: 3, red: 0, green: 0, brown: 0 }, { yellow: 4, red: 0, green: 0, brown: 0 }], firstSeat: 0 },
    ]);
    assert.throws(() => updateEvents('g', { events: [[1, 'TurnEnded', 1, 't', [1, 2]]] }), /unreadable/);
  });

  it("reads protocol 4's packed update: timestamps in milliseconds, the hints as arrays", () => {
    const frame = [
      [
        [9, 'CardPlayed', 1, 1764547200123, [1, 'S02', [0, 2, 0, 0], [2, 0, 0, 0], 1, ['yellow', 'yellow']]],
        [10, 'TurnEnded', 1, null, [1, 2, 1, false]],
      ],
      { currentSeat: 2, legal: [[['S01', 'spice', null, null], ['M05', 'trade', 2, null]], [0, 1], [], true, null] },
    ];
    const update = unpack(frame);
    assert.equal(update.type, 'update');
    assert.deepEqual(updateEvents('g', update).map((e) => e.timestamp), ['2025-12-01T00:00:00.123Z', '2025-12-01T00:00:00.123Z']);
    assert.equal(updateVersion(update), 10);
    assert.deepEqual(update.patch, {
      currentSeat: 2,
      legal: {
        playable: [
          { cardId: 'S01', kind: 'spice', maxTimes: null, upgradeSteps: null },
          { cardId: 'M05', kind: 'trade', maxTimes: 2, upgradeSteps: null },
        ],
        acquirable: [0, 1],
        claimable: [],
        canRest: true,
        discardOwed: null,
      },
    });
    // `legal: null` and the other messages pass as they are.
    assert.deepEqual(unpack([[[1, 'TurnEnded', 1, 5, [0, 1, 1, false]]], { legal: null }]).patch, { legal: null });
    const welcome = { type: 'welcome', lastEventId: 3 };
    assert.equal(unpack(welcome), welcome);
    assert.throws(() => unpack([[], {}, 1]), /unreadable/);
  });
});
