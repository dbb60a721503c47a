// The turn clock and a computer player as the table shows them: the countdown in the turn bar, a
// seat that runs out of time, "… is thinking…" while the computer moves, a whole game of one person
// against the computer, and a rematch that seats the computer again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rest, startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';
import { act, logTexts, sidewaysOverflow, waitMyTurn } from '../lib/table.js';

const RUN = Date.now().toString(36);

/** Join `gameId` in the lobby as `name` and wait for the table. */
async function joinFromLobby(page, gameId, name) {
  await page.goto('/');
  await page.getByLabel('Your name').fill(name);
  await page.getByTestId('waiting-games').locator(`li[data-game-id="${gameId}"]`).getByRole('button', { name: `Join game ${gameId}` }).click();
  await page.getByText(`Playing as ${name}`).waitFor();
}

/**
 * One move chosen from the legal hints, the simplest that keeps the game going: discard the lowest
 * cubes owed, claim, take the free merchant card, play a spice card, rest, or play anything else plainly.
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
      const ups = Array.from({ length: Math.min(p.upgradeSteps || 0, me.caravan.yellow) }, () => 'yellow');
      command = p.kind === 'upgrade' ? { type: 'playCard', cardId: p.cardId, upgrades: ups } : { type: 'playCard', cardId: p.cardId, times: 1 };
    }
    const res = await c.send(command);
    return res.ok ? null : res.error;
  });
}

describe('the turn clock and the computer', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ POINT_CARDS_TO_END: '1', CARAVAN_CAPACITY: '10', BOT_THINKING_MS: '1200' });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('the turn bar counts the clock down, and says when a seat ran out of time', async () => {
    const gameId = `clock-${RUN}`;
    const created = await rest(server.url, 'POST', '/api/games', { numPlayers: 2, gameId, turnSeconds: 10 });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { page: ana } = await openPage(browser, server.url, { name: 'ana', width: 1280, height: 800 });
    await joinFromLobby(ana, gameId, 'Ana');
    assert.equal(await ana.getByTestId('clock').isVisible(), false, 'no clock before the start');
    const ben = await rest(server.url, 'POST', `/api/games/${gameId}/join`, { name: 'Ben' });
    assert.equal(ben.status, 201, JSON.stringify(ben.json));

    await waitMyTurn(ana);
    const clock = ana.getByTestId('clock');
    await clock.waitFor();
    const left = async () => Number(/(\d+) seconds left/.exec(await clock.getAttribute('aria-label'))[1]);
    const first = await left();
    assert.ok(first > 0 && first <= 10, `${first} s left`);
    assert.match(await clock.textContent(), /^0:(0\d|10)$/);
    await ana.waitForFunction((was) => Number(/(\d+) seconds/.exec(document.querySelector('[data-testid="clock"]').getAttribute('aria-label'))[1]) < was, first);
    await screenshot(ana, 'computer-01-clock.png', { fullPage: false });

    // Ana moves; Ben (who never opens the table) lets his clock run out, and the turn comes back.
    await act(ana, [], () => ana.getByRole('button', { name: /^Play \+YY/ }).click());
    await ana.getByTestId('turn').filter({ hasText: 'Ben is thinking…' }).waitFor();
    await clock.waitFor();
    await ana.getByTestId('last-move').filter({ hasText: 'Ben ran out of time' }).waitFor({ timeout: 20000 });
    await waitMyTurn(ana);
    assert.ok((await logTexts(ana)).includes('Ben ran out of time'));
    await ana.locator('article.player[data-seat="1"]').getByText('timed out 1×').waitFor();
    assert.deepEqual(ana.problems, []);
    await ana.context().close();
  });

  it('one person plays a whole game against the computer, then a rematch seats the computer again', async () => {
    const gameId = `cpu-${RUN}`;
    const created = await rest(server.url, 'POST', '/api/games', { numPlayers: 2, gameId, bots: [{ level: 'greedy' }] });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { page: ana } = await openPage(browser, server.url, { name: 'ana', width: 390, height: 844 });
    await joinFromLobby(ana, gameId, 'Ana');
    const bot = await ana.evaluate(() => window.__caravan.view.players.find((p) => p.bot));
    assert.ok(bot, 'a computer holds a seat');
    await ana.locator(`article.player[data-seat="${bot.seat}"]`).getByText('computer', { exact: true }).waitFor();

    let sawThinking = false;
    for (let turn = 0; turn < 60; turn++) {
      const state = await ana.waitForFunction(() => {
        const v = window.__caravan && window.__caravan.view;
        if (!v || window.__caravan.busy) return null;
        if (v.status === 'finished') return 'finished';
        return v.status === 'active' && v.currentSeat === v.viewerSeat && v.legal ? 'mine' : null;
      }, null, { timeout: 20000, polling: 50 });
      if ((await state.jsonValue()) === 'finished') break;
      const error = await someMove(ana);
      assert.equal(error, null, JSON.stringify(error));
      if (!sawThinking) {
        const text = await ana.getByTestId('turn').textContent();
        if (text === `${bot.name} is thinking…`) {
          sawThinking = true;
          await screenshot(ana, 'computer-02-thinking-phone.png', { fullPage: false });
        }
      }
    }
    assert.ok(sawThinking, `the turn bar said "${bot.name} is thinking…"`);
    await ana.getByTestId('results').waitFor();
    assert.deepEqual(await sidewaysOverflow(ana), [], 'nothing pushes the phone page sideways');
    await screenshot(ana, 'computer-03-end-phone.png');

    await ana.getByTestId('rematch').click();
    await ana.waitForURL(`**/#/game/${gameId}-r1`);
    await ana.waitForFunction(() => window.__caravan && window.__caravan.view && window.__caravan.view.status === 'active');
    const seated = await ana.evaluate(() => window.__caravan.view.players.map((p) => ({ name: p.name, bot: p.bot })));
    assert.deepEqual(seated.filter((p) => p.bot).map((p) => p.bot), ['greedy'], JSON.stringify(seated));
    assert.ok(seated.some((p) => p.name === 'Ana' && !p.bot), JSON.stringify(seated));
    assert.deepEqual(ana.problems, []);
    await ana.context().close();
  });
});
