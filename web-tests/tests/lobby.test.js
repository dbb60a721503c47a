// The lobby in a real browser: create a game from the form, join a second seat by keyboard alone,
// and the embedded assets served with their content types.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';
import { waitMyTurn } from '../lib/table.js';

describe('lobby', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('serves the pages and assets from the binary', async () => {
    const expect = [
      ['/', /text\/html/],
      ['/dashboard', /text\/html/],
      ['/assets/style.css', /text\/css/],
      ['/assets/js/app.js', /javascript/],
    ];
    for (const [path, type] of expect) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') || '', type, path);
      assert.ok(res.headers.get('cache-control'), `${path} has a cache-control header`);
    }
    assert.equal((await fetch(`${server.url}/assets/no-such-file.js`)).status, 404);
  });

  it('creates a game from the form and a second player joins by keyboard', async () => {
    const { page: cleo } = await openPage(browser, server.url, { name: 'cleo' });
    await cleo.goto('/');
    await cleo.getByLabel('Your name').fill('Cleo');
    await cleo.getByLabel('Players', { exact: true }).selectOption('2');
    await cleo.getByRole('button', { name: 'Create game' }).click();
    await cleo.waitForURL(/#\/game\//);
    await cleo.getByText('Playing as Cleo').waitFor();
    await cleo.getByTestId('turn').filter({ hasText: 'Waiting for 1 more player' }).waitFor();
    const gameId = decodeURIComponent(new URL(cleo.url()).hash.replace('#/game/', ''));
    await screenshot(cleo, '20-created-waiting.png');

    // Dev joins without touching the mouse: Tab to the name field, type, Tab to the game's Join button.
    const { page: dev } = await openPage(browser, server.url, { name: 'dev', width: 390, height: 844 });
    await dev.goto('/');
    await dev.getByTestId('waiting-games').locator(`li[data-game-id="${gameId}"]`).waitFor();
    await dev.keyboard.press('Tab'); // skip link
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'name'; i++) {
      await dev.keyboard.press('Tab');
      focused = await dev.evaluate(() => document.activeElement && document.activeElement.id);
    }
    assert.equal(focused, 'name', 'the name field is reachable by Tab');
    await dev.keyboard.type('Dev');
    let label = '';
    for (let i = 0; i < 30 && label !== `Join game ${gameId}`; i++) {
      await dev.keyboard.press('Tab');
      label = await dev.evaluate(() => document.activeElement && document.activeElement.getAttribute('aria-label'));
    }
    assert.equal(label, `Join game ${gameId}`, 'the Join button is reachable by Tab');
    await dev.keyboard.press('Enter');
    await dev.getByText('Playing as Dev').waitFor();
    await dev.getByTestId('turn').filter({ hasText: 'Cleo is thinking' }).waitFor();
    await waitMyTurn(cleo);
    await screenshot(dev, '21-joined-phone.png');

    // The seat belongs to the tab: a reload keeps it.
    await dev.reload();
    await dev.getByText('Playing as Dev').waitFor();

    // A server that no longer knows the page's last event id (a restarted in-memory server) refuses
    // the catch-up; the page starts afresh from a welcome instead of giving up.
    await dev.waitForFunction(() => window.__caravan && window.__caravan.connection === 'open');
    const connects = await dev.evaluate(() => window.__caravan.socket.connects);
    await dev.evaluate(() => {
      window.__caravan.socket.lastEventId = 9999;
      window.__caravan.drop();
    });
    await dev.waitForFunction((n) => window.__caravan.socket.connects >= n + 2 && window.__caravan.connection === 'open', connects);
    assert.equal(await dev.getByTestId('connection-banner').isVisible(), false);
    await dev.getByTestId('turn').filter({ hasText: 'Cleo is thinking' }).waitFor();
    assert.equal(await dev.getByTestId('error').textContent(), '', 'the recovery is silent');

    assert.deepEqual([...cleo.problems, ...dev.problems], []);
    await cleo.context().close();
    await dev.context().close();
  });
});
