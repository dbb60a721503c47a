// Helpers that read the page's state through the small test hook the game page exposes (window.__caravan).
import assert from 'node:assert/strict';

export const version = (page) => page.evaluate(() => (window.__caravan ? window.__caravan.stateVersion : -1));

/** Wait until the page shows a state at least as new as `v` and no command is in flight. */
export async function waitVersion(page, v, timeout = 10000) {
  await page.waitForFunction((want) => window.__caravan && window.__caravan.stateVersion >= want && !window.__caravan.busy, v, { timeout });
}

export async function waitMyTurn(page) {
  await page.getByTestId('turn').filter({ hasText: 'Your turn' }).waitFor();
}

export async function errorText(page) {
  return (await page.getByTestId('error').textContent()) || '';
}

/**
 * Perform an action on `actor` (a function doing the clicks), then wait until the actor and every
 * other page have the state that followed it. Fails if the actor's page shows an error.
 */
export async function act(actor, others, clicks) {
  const before = await version(actor);
  await clicks();
  await actor.waitForFunction((v) => window.__caravan.stateVersion > v && !window.__caravan.busy, before);
  assert.equal(await errorText(actor), '', `${actor.label} shows an error after its action`);
  const after = await version(actor);
  for (const p of others) await waitVersion(p, after);
  return after;
}

/** The view without what differs between viewers (their seat and their hints). */
export async function publicView(page) {
  return page.evaluate(() => {
    const v = structuredClone(window.__caravan.view);
    delete v.viewerSeat;
    delete v.legal;
    return v;
  });
}

/** Elements wider than the viewport push the page sideways on a phone: name the first few. */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.row'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} right=${Math.round(el.getBoundingClientRect().right)}`);
  });
}

export async function logTexts(page) {
  return page.getByTestId('event-log').locator('li').allTextContents();
}

/**
 * One move from the legal hints that keeps the game going: discard the lowest cubes owed, claim,
 * take the free merchant card while the hand is small, play a spice card, rest, or play anything
 * else plainly. Returns the server's error, or null.
 */
export async function someMove(page) {
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
    return res && !res.ok ? res.error || 'refused' : null;
  });
}
