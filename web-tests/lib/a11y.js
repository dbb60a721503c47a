// Accessibility checks with axe-core (npm), run inside the page under test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Run axe on the page as it is now and fail on any serious or critical violation. The script is
 * evaluated through the browser's debugging protocol, so the pages' Content-Security-Policy (scripts
 * from the server only) stays as strict as it is for players.
 */
export async function assertAccessible(page, what) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  assert.deepEqual(violations, [], `${what}: serious or critical accessibility violations:\n${JSON.stringify(violations, null, 2)}`);
}
