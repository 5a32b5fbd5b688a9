// Opens a csops-report page in Debian's headless Chromium and prints, as JSON on stdout, what
// a test needs to judge it: console errors and page errors, every request that left the page's
// own file (a self-contained report makes none), and per chart how many marks it drew and how
// many show a value above zero. Saves a full-page PNG screenshot.
//
//   node report_check.mjs file:///path/index.html /path/screenshot.png
import { chromium } from 'playwright-core';

const [url, png] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  await page.goto(url, { waitUntil: 'load' });
  const charts = await page.$$eval('figure.chart', (figs) => figs.map((f) => {
    const marks = [...f.querySelectorAll('.bar, .point')];
    const shown = marks.filter((m) => parseFloat(m.dataset.value) > 0 &&
        (m.classList.contains('point') || m.getBBox().height > 0.5));
    const box = f.querySelector('svg').getBoundingClientRect();
    return { id: f.id, marks: marks.length, shown: shown.length, width: box.width, height: box.height };
  }));
  const title = await page.title();
  const lang = await page.getAttribute('html', 'lang');
  await page.screenshot({ path: png, fullPage: true });
  console.log(JSON.stringify({ title, lang, errors, requests, charts }));
} finally {
  await browser.close();
}
