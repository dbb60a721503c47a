// "Play against the computer" from the lobby: one click seats the person in seat 0 with computer
// players after it, and the person plays the game to its end while the computer answers each turn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';

/**
 * One move from the legal hints that keeps the game going: discard the lowest cubes owed, claim,
 * take the free merchant card while the hand is small, play a spice card, rest, or play anything.
 * Returns the server's error, or null.
 */
async function someMove(page) {
  return page.evaluate(async () => {
    const c = window.__caravan;
    const v = c.view;
    const legal = v.legal;
    const me = v.players.find((p) => p.seat === v.viewerSeat);
    let command;
    if (legal.discardOwed) {
      const spices = { yellow: 0, red: 0, green: 0, brown: 0 };
      let owed = legal.discardOwed;
      for (const k of ['yellow', 'red', 'green', 'brown']) {
        const n = Math.min(owed, me.caravan[k]);
        spices[k] = n;
        owed -= n;
      }
      command = { type: 'discard', spices };
    } else if (legal.claimable.length) command = { type: 'claim', slot: legal.claimable[0] };
    else if (legal.acquirable.includes(0) && me.hand.length < 6) command = { type: 'acquire', slot: 0, payment: [] };
    else if (legal.playable.some((p) => p.kind === 'spice')) command = { type: 'playCard', cardId: legal.playable.find((p) => p.kind === 'spice').cardId };
    else if (legal.canRest) command = { type: 'rest' };
    else {
      const p = legal.playable[0];
      command = p.kind === 'upgrade' ? { type: 'playCard', cardId: p.cardId, upgrades: [] } : { type: 'playCard', cardId: p.cardId, times: 1 };
    }
    const res = await c.send(command);
    return res && !res.ok ? res.error || 'refused' : null;
  });
}

describe('play against the computer', () => {
  let server;
  let browser;

  before(async () => {
    // A short thinking delay and a short game (two point cards end it) keep the test quick.
    server = await startServer({ BOT_THINKING_MS: '50', POINT_CARDS_TO_END: '2' });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('one click gives a game in seat 0 against computer players, played to its end', async () => {
    const { page } = await openPage(browser, server.url, { name: 'ana' });
    await page.goto('/');
    await page.getByLabel('Your name').fill('Ana');
    await page.getByLabel('Opponents').selectOption('1');
    await page.getByLabel('Level').selectOption('strong');
    await page.getByTestId('play-computer').click();
    await page.waitForURL('**/#/game/**');
    await page.waitForFunction(() => window.__caravan && window.__caravan.view && window.__caravan.view.status === 'active');
    const seated = await page.evaluate(() => window.__caravan.view.players.map((p) => ({ seat: p.seat, name: p.name, bot: p.bot })));
    assert.deepEqual(seated.map((p) => p.bot), [null, 'strong'], JSON.stringify(seated));
    assert.equal(seated[0].name, 'Ana');
    assert.equal(await page.evaluate(() => window.__caravan.view.viewerSeat), 0);

    let moves = 0;
    for (;;) {
      const state = await page.waitForFunction(() => {
        const v = window.__caravan && window.__caravan.view;
        if (!v || window.__caravan.busy) return null;
        if (v.status === 'finished') return 'finished';
        return v.status === 'active' && v.currentSeat === v.viewerSeat && v.legal ? 'mine' : null;
      }, null, { timeout: 20000, polling: 50 });
      if ((await state.jsonValue()) === 'finished') break;
      assert.ok(moves < 200, 'the game ends');
      const error = await someMove(page);
      assert.equal(error, null, JSON.stringify(error));
      moves += 1;
    }
    const view = await page.evaluate(() => window.__caravan.view);
    assert.equal(view.status, 'finished');
    assert.ok(view.winner === 0 || view.winner === 1);
    assert.ok(view.round > 1, 'the computer played its turns');
    await page.getByTestId('results').waitFor();
    await screenshot(page, 'versus-01-end.png');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
