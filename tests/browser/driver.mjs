// A line-driven Chromium for csops's page tests: reads one JSON command per line on stdin and
// answers one JSON line on stdout, so a python3-grpcio test can interleave gRPC calls with
// what the page shows. Debian's /usr/bin/chromium, headless; no browser download.
//
// Commands ({"op": ...}):
//   open {url, headers?}          new page; answers {status}
//   wait {expr, timeout}          waits until the JS expression is truthy; answers {ms}
//   eval {expr}                   answers {value}
//   screenshot {path, selector?}  whole page, or one element
//   axe {}                        runs axe-core (npm) in the page; answers {violations}
//   errors {}                     console and page errors of the page opened last
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
// A browser in Taiwan: Accept-Language zh-TW unless a test sends its own.
const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-TW' });
const errors = [];
let page = null;

async function run(cmd) {
  switch (cmd.op) {
    case 'open': {
      if (page) await page.close();
      errors.length = 0;  // errors are the current page's
      page = await context.newPage();
      if (cmd.headers) await page.setExtraHTTPHeaders(cmd.headers);
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => errors.push(`page: ${e}`));
      const resp = await page.goto(cmd.url, { waitUntil: 'load' });
      return { status: resp ? resp.status() : 0 };
    }
    case 'wait': {
      // Polled through DevTools (page.evaluate), which the pages' CSP allows; waitForFunction
      // with a string would need 'unsafe-eval'.
      const t0 = Date.now();
      const limit = cmd.timeout || 5000;
      for (;;) {
        // A navigation in progress destroys the context being asked: ask again.
        if (await page.evaluate(cmd.expr).catch(() => false)) return { ms: Date.now() - t0 };
        if (Date.now() - t0 > limit) throw new Error(`timed out after ${limit} ms: ${cmd.expr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    case 'eval':
      return { value: await page.evaluate(cmd.expr) };
    case 'screenshot':
      if (cmd.selector) await page.locator(cmd.selector).screenshot({ path: cmd.path });
      else await page.screenshot({ path: cmd.path, fullPage: !!cmd.full });
      return {};
    case 'axe': {
      await page.evaluate(axeSource);  // through DevTools: not an inline script the CSP blocks
      const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      return {
        violations: r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
        })),
      };
    }
    case 'errors':
      return { errors };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = { ok: true, ...(await run(JSON.parse(line))) };
  } catch (e) {
    answer = { ok: false, error: String(e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await browser.close();
