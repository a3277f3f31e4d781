// Browser tests of fedcat's web pages in headless Chromium (Debian's `chromium`, driven by
// playwright-core), with an axe-core accessibility check of each page and a screenshot of each
// in SCREENSHOT_DIR. Usage: node browser.js SERVER SCREENSHOT_DIR. Exits non-zero with the
// failed step on stderr.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [server, screenshots] = process.argv.slice(2);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

function check(condition, message) {
  if (!condition) {
    throw new Error(`FAILED: ${message}`);
  }
  console.log(`ok: ${message}`);
}

async function accessible(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: [ 'wcag2a', 'wcag2aa' ] } }));
  const problems = result.violations.map(v => `${v.id} (${v.nodes.length}): ${v.help}`);
  check(problems.length === 0, `${name}: no axe-core violation (landmarks, labels, contrast…) ${problems.join('; ')}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

async function total(page) {
  return Number(await page.textContent('#total strong'));
}

(async () => {
  fs.mkdirSync(screenshots, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: [ '--no-sandbox' ] });
  try {
    // The pages forbid scripts (Content-Security-Policy); axe-core is injected as one, so the
    // test context bypasses the policy. The pages themselves need no script.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });

    // Search: type a French query, see results; a facet changes the count.
    await page.goto(`${server}/`);
    check(await page.getAttribute('html', 'lang') === 'fr', 'French by default');
    const all = await total(page);
    await page.fill('#q', 'données');
    await Promise.all([ page.waitForNavigation(), page.click('button[type=submit]') ]);
    const found = await total(page);
    check(found > 0, `the French query "données" finds ${found} datasets`);
    await shot(page, 'search');
    await accessible(page, 'search page');
    await page.goto(`${server}/`);
    const facetLink = page.locator('aside section.facet').first().locator('li a').first();
    const facetCount = Number((await facetLink.evaluate(a => a.parentElement.textContent)).match(/\((\d+)\)/u)[1]);
    await Promise.all([ page.waitForNavigation(), facetLink.click() ]);
    const narrowed = await total(page);
    check(narrowed === facetCount && narrowed < all, `a facet narrows ${all} to its count ${facetCount}`);

    // A dataset page: distributions and quality breakdown.
    await Promise.all([ page.waitForNavigation(), page.locator('article.card h2 a').first().click() ]);
    const distributions = await page.locator('#h-dist + table tbody tr').count();
    check(distributions > 0, `the dataset page lists ${distributions} distribution URLs`);
    const dimensions = await page.locator('#h-quality + table tbody tr').count();
    check(dimensions >= 5, `the dataset page shows the quality by dimension (${dimensions} rows)`);
    await shot(page, 'dataset');
    await accessible(page, 'dataset page');

    // The dashboard: a chart with data points for each producer.
    await page.goto(`${server}/indicators`);
    const producers = await page.locator('svg.chart g.series').count();
    check(producers >= 2, `the chart has ${producers} producer lines`);
    for (let i = 0; i < producers; i++) {
      const points = await page.locator('svg.chart g.series').nth(i).locator('circle.point').count();
      check(points >= 1, `producer line ${i} has ${points} data points`);
    }
    await shot(page, 'indicators');
    await accessible(page, 'indicators page');

    // The SPARQL page: run an example query, see rows.
    await page.goto(`${server}/sparql`);
    check(await page.locator('textarea#query').count() === 1, 'the SPARQL page has a query editor');
    await Promise.all([ page.waitForNavigation(), page.locator('#h-examples + ul a').first().click() ]);
    const rows = await page.locator('table#results tbody tr').count();
    check(rows > 0, `the example query (datasets by producer) shows ${rows} rows`);
    await shot(page, 'sparql');
    await accessible(page, 'SPARQL page');

    // Harvest status, then English.
    await page.goto(`${server}/sources`);
    check(await page.locator('tbody tr').count() >= 2, 'the harvest status lists the sources');
    await shot(page, 'sources');
    await accessible(page, 'sources page');
    await page.goto(`${server}/`);
    await Promise.all([ page.waitForNavigation(), page.click('header a[lang=en]') ]);
    check(await page.getAttribute('html', 'lang') === 'en', 'the switch gives English');
    check((await page.textContent('button[type=submit]')).trim() === 'Search', 'labels in English');
    console.log('all browser checks passed');
  } finally {
    await browser.close();
  }
})().catch(error => {
  console.error(error.message);
  process.exit(1);
});
