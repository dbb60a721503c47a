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
