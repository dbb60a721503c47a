// "Play against the computer" from the lobby: one click seats the person in seat 0 with computer
// players after it, and the person plays the game to its end while the computer answers each turn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';
import { someMove } from '../lib/table.js';

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
