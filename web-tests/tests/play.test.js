// Two players, a spectator and the dashboard, all in real Chromium against the real server.
// The game uses an admin scenario deck and a caravan of 5 cubes (set on the test server), so every kind
// of action comes up within a few turns and the run is the same every time:
//   T1 Ana plays +YY (spice)           Ben plays +YY → 6 cubes → discards one yellow
//   T2 Ana acquires YY→G paying a Y    Ben upgrades Y→R twice
//   T3 Ana trades YY→G twice (keyboard, while Ben's socket is down)   Ben reconnects and claims 7 points + gold
//   T4 Ana reloads the page, keeps her seat and rests
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, rest, startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';
import { act, errorText, logTexts, publicView, version, waitMyTurn, waitVersion } from '../lib/table.js';

const GAME = `browser-${Date.now().toString(36)}`;
const SCENARIO = {
  merchantDeck: ['M04', 'M10', 'M19', 'M22', 'M28', 'M35'],
  pointDeck: ['P02', 'P01', 'P05', 'P04', 'P03'],
};

describe('two players, a spectator and the dashboard', () => {
  let server;
  let browser;
  let ana;
  let ben;
  let spectator;
  const pages = () => [ana, ben, spectator];

  before(async () => {
    server = await startServer();
    browser = await launch();
  });

  after(async () => {
    for (const p of [ana, ben, spectator].filter(Boolean)) {
      await p.context().close().catch(() => {});
    }
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('creates the scenario game with the admin token', async () => {
    const refused = await rest(server.url, 'POST', '/api/games', { numPlayers: 2, gameId: `${GAME}-x`, scenario: SCENARIO });
    assert.ok([401, 403].includes(refused.status), `a scenario without the admin token is refused (got ${refused.status})`);
    const created = await rest(server.url, 'POST', '/api/games', { numPlayers: 2, gameId: GAME, seed: 7, scenario: SCENARIO }, ADMIN_TOKEN);
    assert.equal(created.status, 201, JSON.stringify(created.json));
  });

  it('both players join from the lobby with their names', async () => {
    ({ page: ana } = await openPage(browser, server.url, { name: 'ana' }));
    ({ page: ben } = await openPage(browser, server.url, { name: 'ben' }));
    for (const [page, name] of [
      [ana, 'Ana'],
      [ben, 'Ben'],
    ]) {
      await page.goto('/');
      await page.getByLabel('Your name').first().fill(name);
      const item = page.getByTestId('waiting-games').locator(`li[data-game-id="${GAME}"]`);
      await item.waitFor();
      if (name === 'Ana') await screenshot(page, '01-lobby.png');
      await item.getByRole('button', { name: `Join game ${GAME}` }).click();
      await page.waitForURL(`**/#/game/${GAME}`);
      await page.getByText(`Playing as ${name}`).waitFor();
    }
    await waitMyTurn(ana);
    await ben.getByTestId('turn').filter({ hasText: 'Ana is thinking' }).waitFor();
    await screenshot(ana, '02-table-start.png');
  });

  it('a spectator watches from the lobby', async () => {
    ({ page: spectator } = await openPage(browser, server.url, { name: 'spectator', width: 390, height: 844 }));
    await spectator.goto('/');
    await spectator.getByTestId('active-games').getByRole('link', { name: `Watch game ${GAME}` }).click();
    await spectator.getByText('Watching').waitFor();
    await waitVersion(spectator, await version(ana));
    assert.equal(await spectator.getByRole('button', { name: /^(Play|Acquire|Claim|Rest)/ }).count(), 0, 'a spectator has no action buttons');
  });

  it('turn 1: Ana plays a spice card; Ben goes over the limit and discards', async () => {
    await act(ana, [ben, spectator], () => ana.getByRole('button', { name: /^Play \+YY/ }).click());
    await waitMyTurn(ben);
    await act(ben, [ana, spectator], () => ben.getByRole('button', { name: /^Play \+YY/ }).click());
    // Six cubes in a caravan of five: the turn waits for Ben's discard.
    const discard = ben.getByRole('button', { name: /^Discard 1 cube/ });
    await discard.waitFor();
    await screenshot(ben, '03-discard-owed.png');
    await discard.click();
    const dialog = ben.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Discard one more yellow' }).click();
    await screenshot(ben, '04-discard-picker.png');
    await act(ben, [ana, spectator], () => dialog.getByRole('button', { name: 'Discard', exact: true }).click());
  });

  it('turn 2: Ana acquires a trade card paying a cube; Ben upgrades twice', async () => {
    await waitMyTurn(ana);
    await ana.getByRole('button', { name: /^Acquire YY→G/ }).click();
    const pay = ana.getByRole('dialog');
    await pay.getByRole('button', { name: 'Place a yellow cube' }).click();
    await screenshot(ana, '05-acquire-picker.png');
    await act(ana, [ben, spectator], () => pay.getByRole('button', { name: 'Acquire', exact: true }).click());
    // The paid cube lies on the card to the left.
    assert.equal(await ana.locator('.merchant-row li[data-slot="0"] .lying .cube').count(), 1);

    await waitMyTurn(ben);
    await ben.getByRole('button', { name: /^Play upgrade 2/ }).click();
    const up = ben.getByRole('dialog');
    await up.getByRole('button', { name: 'Upgrade a yellow cube to red' }).click();
    await up.getByRole('button', { name: 'Upgrade a yellow cube to red' }).click();
    await screenshot(ben, '06-upgrade-picker.png');
    await act(ben, [ana, spectator], () => up.getByRole('button', { name: 'Play with 2 steps' }).click());
  });

  it("turn 3: Ben's socket drops; Ana trades twice by keyboard; Ben reconnects and claims", async () => {
    await ben.evaluate(() => window.__caravan.drop({ hold: true }));
    const banner = ben.getByTestId('connection-banner');
    await banner.filter({ hasText: 'Connection lost' }).waitFor();
    await screenshot(ben, '07-reconnect-banner.png');

    await waitMyTurn(ana);
    const v = await version(ana);
    await ana.getByRole('button', { name: /^Play YY→G/ }).focus();
    await ana.keyboard.press('Enter');
    const times = ana.getByRole('dialog');
    await times.getByRole('button', { name: '2 ×' }).waitFor();
    await screenshot(ana, '08-times-picker.png');
    await ana.keyboard.press('Tab'); // from "1 ×" to "2 ×"
    await ana.keyboard.press('Enter');
    await ana.waitForFunction((was) => window.__caravan.stateVersion > was && !window.__caravan.busy, v);
    assert.equal(await errorText(ana), '');
    const afterTrade = await version(ana);
    await waitVersion(spectator, afterTrade);
    assert.ok((await version(ben)) < afterTrade, 'Ben, disconnected, has not seen the trade');

    await ben.evaluate(() => window.__caravan.release());
    await waitVersion(ben, afterTrade);
    await banner.waitFor({ state: 'hidden' });
    const catchUp = await ben.evaluate(() => window.__caravan.socket.lastCatchUp);
    assert.ok(catchUp && catchUp.from !== null && catchUp.from < catchUp.to, `the reconnect resumed from the last event id: ${JSON.stringify(catchUp)}`);
    assert.ok((await logTexts(ben)).some((t) => /Ana traded YY→G twice/.test(t)), 'Ben catches up on the missed trade');

    await waitMyTurn(ben);
    await act(ben, [ana, spectator], () => ben.getByRole('button', { name: /^Claim 7 points .* and a gold coin/ }).click());
    await ben.locator('article.player[data-seat="1"] .coin-gold').filter({ hasText: '×1' }).waitFor();
  });

  it("a refused command shows the server's message", async () => {
    await waitMyTurn(ana);
    const res = await ben.evaluate(() => window.__caravan.send({ type: 'rest' }));
    assert.equal(res.ok, false);
    const shown = await errorText(ben);
    assert.ok(shown.length > 0, 'the error is shown');
    assert.equal(shown, res.error.message, "the page shows the server's message");
    await screenshot(ben, '09-rejected.png');
  });

  it('turn 4: Ana reloads, keeps her seat, and rests', async () => {
    await ana.reload();
    await ana.getByText('Playing as Ana').waitFor();
    await waitMyTurn(ana);
    await act(ana, [ben, spectator], () => ana.getByRole('button', { name: 'Rest (take back played cards)' }).click());
    await screenshot(ana, '10-table-after-rest.png');
  });

  it('the spectator sees the same table and the same story', async () => {
    const [a, b, s] = await Promise.all(pages().map(publicView));
    assert.deepEqual(s, a);
    assert.deepEqual(b, a);
    for (const sel of ['.point-row', '.merchant-row']) {
      const texts = await Promise.all(pages().map((p) => p.locator(sel).innerText()));
      assert.equal(texts[2], texts[0], `${sel} differs between spectator and player`);
    }
    const log = await logTexts(spectator);
    for (const want of [/Ana played \+YY/, /Ben discarded Y/, /Ana acquired YY→G, paying Y/, /Ben upgraded Y→R, Y→R/, /Ana traded YY→G twice/, /Ben claimed 7 points and a gold coin/, /Ana rested/]) {
      assert.ok(log.some((t) => want.test(t)), `the log says ${want}: ${JSON.stringify(log)}`);
    }
    assert.deepEqual(await logTexts(ana), log);
    await screenshot(spectator, '11-spectator-phone.png');
    for (const p of pages()) assert.deepEqual(p.problems, []);
  });

  it('the dashboard lists the game and the replay viewer steps through it', async () => {
    const { page: dash } = await openPage(browser, server.url, { name: 'dashboard' });
    await dash.goto('/dashboard');
    await dash.getByTestId('stats').locator('.tile').first().waitFor();
    // Commands per second come from two polls of the running total.
    await dash.getByTestId('stats').locator('.tile[data-key="commands per second"]').waitFor();
    await dash.getByTestId('stats').locator('.tile[data-key="games active"] .tile-value').filter({ hasText: /^[1-9]/ }).waitFor();
    const row = dash.getByTestId('running-games').locator(`tr[data-game-id="${GAME}"]`);
    await row.waitFor();
    await screenshot(dash, '12-dashboard.png');

    await row.getByRole('button', { name: `Replay game ${GAME}` }).click();
    const last = await version(ana);
    const pos = dash.getByTestId('replay-position');
    // The replay opens at the start of the game (the event that started it), not at its end.
    await pos.filter({ hasText: `of ${last}` }).waitFor();
    assert.match(await dash.getByTestId('replay-event').textContent(), /The game started/);
    await dash.getByRole('button', { name: 'First event' }).click();
    await dash.locator('#rp-table[data-at="1"]').waitFor();
    const told = [await dash.getByTestId('replay-event').textContent()];
    for (let n = 2; n <= last; n++) {
      await dash.getByRole('button', { name: 'Next event' }).click();
      await dash.locator(`#rp-table[data-at="${n}"]`).waitFor();
      told.push(await dash.getByTestId('replay-event').textContent());
      if (n === 8) await screenshot(dash, '13-replay-step.png');
    }
    assert.ok(told.some((t) => /Ana traded YY→G twice/.test(t)), JSON.stringify(told));
    assert.ok(told.some((t) => /Ben claimed 7 points and a gold coin/.test(t)), JSON.stringify(told));
    // The last step shows the same table as the live game.
    assert.equal(await dash.locator('#rp-table .merchant-row').innerText(), await spectator.locator('.merchant-row').innerText());
    assert.deepEqual(dash.problems, []);
    await dash.context().close();
  });

  it('a player leaves; the game ends for everyone', async () => {
    await ben.getByRole('button', { name: 'Leave game' }).click();
    await ben.waitForURL((u) => u.hash === '#/');
    await ana.getByTestId('turn').filter({ hasText: 'Game over — you win!' }).waitFor();
    await spectator.getByTestId('turn').filter({ hasText: 'Game over — Ana wins' }).waitFor();
    await screenshot(ana, '14-game-over.png');
    assert.ok((await logTexts(spectator)).some((t) => /Game over: Ana wins/.test(t)));
    // The results say who left.
    await ana.getByTestId('results').locator('tbody tr[data-seat="1"]').filter({ hasText: 'Ben — left' }).waitFor();
  });
});
