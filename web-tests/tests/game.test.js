// A whole game as its players see it: Ana on a 1280×800 screen (asking for reduced motion), Ben on a
// 390×844 phone who comes in through the invite link. The server ends a game after one claimed point
// card, and an admin scenario deck makes every turn the same on every run:
//   R1 Ana plays +YY                   Ben takes +RR (slot 0, free)
//   R2 Ana upgrades Y→R twice          Ben takes +YYR (slot 1), his yellow cube left on slot 0
//   R3 Ana claims 6 points + gold: the last round begins     Ben plays +RR: the game ends
// Then the results, the replay from the start, a closed tab, the lobby's finished games, a rematch,
// and the dashboard's charts. axe-core checks the lobby, the table, the end and the dashboard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, rest, startServer } from '../lib/server.js';
import { launch, openPage, screenshot } from '../lib/browser.js';
import { act, logTexts, sidewaysOverflow, version, waitMyTurn, waitVersion } from '../lib/table.js';
import { assertAccessible } from '../lib/a11y.js';

const GAME = `whole-${Date.now().toString(36)}`;
const SCENARIO = {
  merchantDeck: ['M06', 'M11', 'M05', 'M02', 'M03', 'M04'],
  pointDeck: ['P01', 'P02', 'P04', 'P03', 'P05'],
};

/** The text of the turn bar. */
const turn = (page) => page.getByTestId('turn').textContent();
const player = (page, seat) => page.locator(`article.player[data-seat="${seat}"]`);

describe('a whole game, on a screen and on a phone', () => {
  let server;
  let browser;
  let ana;
  let ben;

  before(async () => {
    server = await startServer({ POINT_CARDS_TO_END: '1', CARAVAN_CAPACITY: '10' });
    browser = await launch();
    const created = await rest(server.url, 'POST', '/api/games', { numPlayers: 2, gameId: GAME, seed: 11, scenario: SCENARIO }, ADMIN_TOKEN);
    assert.equal(created.status, 201, JSON.stringify(created.json));
  });

  after(async () => {
    for (const p of [ana, ben].filter(Boolean)) await p.context().close().catch(() => {});
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('Ana joins from the lobby and gets an invite link; Ben opens it on his phone and takes a seat', async () => {
    ({ page: ana } = await openPage(browser, server.url, { name: 'ana', width: 1280, height: 800, reducedMotion: 'reduce' }));
    await ana.goto('/');
    await ana.getByLabel('Your name').fill('Ana');
    const item = ana.getByTestId('waiting-games').locator(`li[data-game-id="${GAME}"]`);
    await item.waitFor();
    await assertAccessible(ana, 'lobby');
    await screenshot(ana, 'game-01-lobby.png');
    await item.getByRole('button', { name: `Join game ${GAME}` }).click();
    await ana.getByText('Playing as Ana').waitFor();
    await ana.getByTestId('turn').filter({ hasText: 'Waiting for 1 more player' }).waitFor();
    const link = await ana.getByTestId('invite-link').inputValue();
    assert.equal(link, `${server.url}/#/game/${GAME}`);
    await assertAccessible(ana, 'waiting table');
    await screenshot(ana, 'game-01b-waiting-invite.png');

    ({ page: ben } = await openPage(browser, server.url, { name: 'ben', width: 390, height: 844 }));
    await ben.goto(link);
    await ben.getByLabel('Your name').fill('Ben');
    await ben.getByRole('button', { name: 'Take a seat' }).click();
    await ben.getByText('Playing as Ben').waitFor();
    await waitMyTurn(ana);
  });

  it('the turn bar says what each may do, and the tab title tells Ana it is her turn', async () => {
    assert.match(await turn(ana), /^Your turn: play a card or take a merchant card$/);
    await ben.getByTestId('turn').filter({ hasText: 'Ana is thinking…' }).waitFor();
    await screenshot(ben, 'game-02b-phone-other-turn.png', { fullPage: false });
    await ana.waitForFunction(() => document.title.startsWith('(Your turn) '));
    assert.ok(!(await ben.title()).includes('(Your turn)'), await ben.title());
    assert.equal(await ana.getByTestId('turn-bar').getAttribute('data-tone'), 'mine');
    assert.equal(await ben.getByTestId('turn-bar').getAttribute('data-tone'), 'other');
    // Names, not ids: the header says who plays; cards carry their ids only in titles.
    assert.equal(await ana.locator('.game-head h1').textContent(), 'Ana vs Ben');
    const faces = await ana.locator('.card').allInnerTexts();
    assert.ok(faces.length > 10 && faces.every((t) => !/\b[SMP]\d\d\b/.test(t)), JSON.stringify(faces));
    assert.equal(await ana.locator('.point-row li[data-slot="0"] .card').getAttribute('title'), 'P01: 6 points for Y Y R R');
    await screenshot(ana, 'game-02-table-your-turn.png');
    // Ben touches the page (toggling the sound twice), after which the browser lets it chime.
    await ben.getByTestId('mute').click();
    assert.equal(await ben.getByTestId('mute').getAttribute('aria-pressed'), 'true');
    await ben.getByTestId('mute').click();
    assert.equal(await ben.getByTestId('mute').getAttribute('aria-pressed'), 'false');
  });

  it('R1: the last move is shown on the table, without motion for Ana who asked for less', async () => {
    await act(ana, [ben], () => ana.getByRole('button', { name: /^Play \+YY/ }).click());
    for (const page of [ana, ben]) {
      await page.getByTestId('last-move').filter({ hasText: 'Ana played +YY' }).waitFor();
      await player(page, 0).locator('.pile-played li.moved[data-card-id="S01"]').waitFor();
      assert.equal(await player(page, 0).locator('.caravan .cube-new').count(), 2, `${page.label}: two new cubes`);
    }
    const animation = (page) => player(page, 0).locator('.pile-played li.moved').evaluate((el) => getComputedStyle(el).animationName);
    assert.equal(await animation(ana), 'none', 'reduced motion: no animation');
    assert.equal(await animation(ben), 'pop');
    await screenshot(ana, 'game-03-last-move-other-turn.png');
    // Ben's turn came: the tab chimed.
    await waitMyTurn(ben);
    assert.deepEqual(await ben.evaluate(() => ({ ...window.__caravan.chimes })), { played: 1, muted: 0, blocked: 0 });
    await ben.getByTestId('turn').filter({ hasText: /^Your turn: play a card or take a merchant card$/ }).waitFor();
    await act(ben, [ana], () => ben.getByRole('button', { name: /^Acquire \+RR/ }).click());
  });

  it('R2: an upgrade, and a paid cube lying on a market card without stretching its slot', async () => {
    await waitMyTurn(ana);
    // Ben mutes the sound: his next turn does not chime.
    await ben.getByTestId('mute').click();
    await ana.getByRole('button', { name: /^Play upgrade 2/ }).click();
    const up = ana.getByRole('dialog');
    await up.getByRole('button', { name: 'Upgrade a yellow cube to red' }).click();
    await up.getByRole('button', { name: 'Upgrade a yellow cube to red' }).click();
    await act(ana, [ben], () => up.getByRole('button', { name: 'Play with 2 steps' }).click());
    await ben.getByTestId('last-move').filter({ hasText: 'Ana upgraded Y→R, Y→R' }).waitFor();
    assert.equal(await player(ben, 0).locator('.caravan .cube-new').count(), 2);

    await waitMyTurn(ben);
    await ben.getByRole('button', { name: /^Acquire \+YYR/ }).click();
    const pay = ben.getByRole('dialog');
    await pay.getByRole('button', { name: 'Place a yellow cube' }).click();
    await act(ben, [ana], () => pay.getByRole('button', { name: 'Acquire', exact: true }).click());
    for (const page of [ana, ben]) {
      await page.locator('.merchant-row li[data-slot="0"] .lying.moved .cube-new').waitFor();
      const slots = await page.locator('.merchant-row .slot').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().height)));
      assert.equal(new Set(slots).size, 1, `${page.label}: market slots share one height: ${slots}`);
      const costs = await page.locator('.merchant-row .cost').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
      assert.equal(new Set(costs).size, 1, `${page.label}: cost labels line up: ${costs}`);
    }
    // Ben's hand, sorted: spice cards by worth, then the upgrade (the server keeps them in the order taken).
    const order = await ben.getByRole('list', { name: 'Your hand' }).locator('li').evaluateAll((els) => els.map((e) => e.dataset.cardId));
    assert.deepEqual(order, ['S01', 'M05', 'M06', 'S02']);
    const served = await ben.evaluate(() => window.__caravan.view.players[1].hand);
    assert.notDeepEqual(served, order);
  });

  it('R3: Ana claims, the last round begins, and the score explains itself', async () => {
    await waitMyTurn(ana);
    await act(ana, [ben], () => ana.getByRole('button', { name: /^Claim 6 points for Y Y R R and a gold coin/ }).click());
    for (const page of [ana, ben]) {
      await page.getByTestId('last-round').waitFor();
      assert.equal(await player(page, 0).getByTestId('score').textContent(), '9 pts');
      assert.equal(await player(page, 0).getByTestId('score-parts').textContent(), 'cards 6 + coins 3 + cubes 0claimed 1/1');
      await player(page, 0).locator('.pile-claimed li.moved[data-card-id="P01"]').waitFor();
      await player(page, 0).locator('.coin-gold.moved').waitFor();
    }
    await waitMyTurn(ben);
    assert.deepEqual(await ben.evaluate(() => ({ ...window.__caravan.chimes })), { played: 1, muted: 2, blocked: 0 });
    assert.ok((await logTexts(ben)).some((t) => /The last round/.test(t)), JSON.stringify(await logTexts(ben)));

    // The phone: the turn bar stays on screen, Ben's caravan and hand come first, within the first screen.
    const mine = await ben.locator('.mine').boundingBox();
    const points = await ben.locator('.points-area').boundingBox();
    assert.ok(mine.y < points.y, 'your caravan and hand come before the market on a phone');
    assert.ok(mine.y < 400, `your caravan starts ${mine.y}px down`);
    assert.deepEqual(await sidewaysOverflow(ben), [], 'nothing pushes the phone page sideways');
    await ben.mouse.wheel(0, 1500);
    await ben.waitForFunction(() => window.scrollY > 300);
    const bar = await ben.getByTestId('turn-bar').boundingBox();
    assert.ok(bar.y >= 0 && bar.y < 20, `the turn bar stays at the top: ${bar.y}`);
    await ben.evaluate(() => window.scrollTo(0, 0));
    await assertAccessible(ben, 'table (phone, last round)');
    await screenshot(ben, 'game-04-phone-table.png', { fullPage: false });

    await act(ben, [ana], () => ben.getByRole('button', { name: /^Play \+RR/ }).click());
  });

  it('the end: results with the score in parts, and a log with no turn that never came', async () => {
    for (const page of [ana, ben]) await page.getByTestId('results').waitFor();
    assert.equal(await ana.getByTestId('results').getByRole('heading').textContent(), 'You win!');
    assert.equal(await ben.getByTestId('results').getByRole('heading').textContent(), 'Ana wins');
    const rows = await ana.getByTestId('results').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(rows, [
      ['★ Ana (you)', '6', '3', '0', '9'],
      ['Ben', '0', '0', '2', '2'],
    ]);
    const log = await logTexts(ana);
    assert.ok(!log.some((t) => /to move|'s turn/.test(t)), `no turn lines: ${JSON.stringify(log)}`);
    assert.deepEqual(log.slice(-4), [
      'Ana claimed 6 points and a gold coin',
      'The last round: the game ends when this round is complete',
      'Ben played +RR',
      'Game over: Ana wins — Ana 9, Ben 2',
    ]);
    assert.equal(await ana.getByTestId('event-log').evaluate((el) => getComputedStyle(el).listStyleType), 'none');
    await assertAccessible(ana, 'end screen');
    await screenshot(ana, 'game-05-end.png');
    for (const page of [ana, ben]) assert.deepEqual(page.problems, []);
  });

  it('replay from the start', async () => {
    await ana.getByTestId('replay').click();
    await ana.waitForURL(`**/#/replay/${GAME}`);
    await ana.getByTestId('replay-event').filter({ hasText: 'The game started' }).waitFor();
    await ana.getByRole('button', { name: 'Next event' }).click();
    await ana.getByTestId('replay-event').filter({ hasText: 'Ana played +YY' }).waitFor();
    await ana.locator('#rp-table .pile-played li.moved[data-card-id="S01"]').waitFor();
    await screenshot(ana, 'game-05b-replay.png');
    await ana.goBack();
    await ana.getByTestId('results').waitFor();
  });

  it('a closed tab keeps its seat: "My games" in the lobby, and the finished game listed', async () => {
    const context = ben.context();
    await ben.close();
    ben = await context.newPage();
    ben.problems = [];
    ben.label = 'ben (new tab)';
    ben.on('pageerror', (e) => ben.problems.push(`page error: ${e.message}`));
    await ben.goto('/');
    const mine = ben.getByTestId('my-games').locator(`li[data-game-id="${GAME}"]`);
    await mine.filter({ hasText: 'Ana, Ben — Ana wins' }).waitFor();
    await ben.getByTestId('finished-games').locator(`li[data-game-id="${GAME}"]`).filter({ hasText: 'Ana won with 9 (Ben 2)' }).waitFor();
    await screenshot(ben, 'game-05c-lobby-my-games.png');
    await mine.getByRole('link', { name: `Return to your seat in game ${GAME}` }).click();
    await ben.getByText('Playing as Ben').waitFor();
    await ben.getByTestId('results').waitFor();
  });

  it('rematch: Ana asks, Ben is told and joins, and the new game starts', async () => {
    await ana.getByTestId('rematch').click();
    await ana.waitForURL(`**/#/game/${GAME}-r1`);
    await ana.getByTestId('turn').filter({ hasText: 'Waiting for 1 more player' }).waitFor();
    await ben.getByTestId('rematch-note').filter({ hasText: 'Ana is waiting for you in the rematch' }).waitFor();
    await ben.getByRole('button', { name: 'Join the rematch' }).click();
    await ben.waitForURL(`**/#/game/${GAME}-r1`);
    await waitMyTurn(ana);
    await ben.getByTestId('turn').filter({ hasText: 'Ana is thinking…' }).waitFor();
    assert.equal(await ana.locator('.game-head h1').textContent(), 'Ana vs Ben');
    await waitVersion(ben, await version(ana));
    for (const page of [ana, ben]) assert.deepEqual(page.problems, []);
  });

  it('the dashboard draws its charts from the binary, with no network', async () => {
    const { page: dash } = await openPage(browser, server.url, { name: 'dashboard', width: 1280, height: 800 });
    const outside = [];
    dash.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await dash.goto('/dashboard');
    for (const id of ['chart-commands', 'chart-latency', 'chart-connections', 'chart-games']) {
      await dash.locator(`[data-testid="${id}"] .uplot canvas`).waitFor();
    }
    await dash.waitForFunction(() => Number(document.querySelector('[data-testid="chart-games"]').dataset.points || 0) >= 2);
    assert.match(await dash.getByTestId('chart-games').getAttribute('aria-label'), /Games by status .* now waiting 0, running 1, finished 1/);
    assert.match(await dash.getByTestId('chart-connections').getAttribute('aria-label'), /now open connections [1-9]/);
    // A move while the dashboard watches shows up as commands per second and as a latency.
    await act(ana, [ben], () => ana.getByRole('button', { name: /^Play \+YY/ }).click());
    await dash.waitForFunction(() => Number(document.querySelector('[data-testid="chart-commands"]').dataset.peak) > 0);
    await dash.waitForFunction(() => Number(document.querySelector('[data-testid="chart-latency"]').dataset.peak) > 0);
    assert.match(await dash.getByTestId('chart-latency').getAttribute('aria-label'), /^Command latency over the last \d+ min; now p50 /);
    const license = await fetch(`${server.url}/assets/vendor/uplot/LICENSE`);
    assert.equal(license.status, 200);
    assert.match(await license.text(), /MIT License/);
    // The game ended by the rules, so it counts on the leaderboard.
    await dash.getByTestId('leaderboard').locator('tbody tr').filter({ hasText: 'Ana' }).filter({ hasText: '9' }).waitFor();
    await assertAccessible(dash, 'dashboard');
    await screenshot(dash, 'game-06-dashboard.png');
    assert.deepEqual(outside, []);
    assert.deepEqual(dash.problems, []);
    await dash.context().close();
  });
});
