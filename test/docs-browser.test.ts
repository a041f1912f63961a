// A developer opens /docs in a real browser and finds the Partner API documented there.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from './helpers/browser.ts';

const browserCheck = await checkBrowser();

describeBrowser('API docs page in Chromium', browserCheck, () => {
  let t: TestApp;
  let session: IsolatedBrowser;
  let page: Page;
  /** Every OpenAPI document the page fetched: its path, status and body. */
  const specLoads: Promise<{ path: string; status: number; body: any }>[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    session = await launchIsolatedPage(t.baseUrl);
    page = session.page;
    page.on('response', (res) => {
      const path = new URL(res.url()).pathname;
      if (path === '/openapi.json' || path === '/docs/json') {
        specLoads.push(res.json().catch(() => undefined).then((body) => ({ path, status: res.status(), body })));
      }
    });
    await page.goto(`${t.baseUrl}/docs`, { waitUntil: 'domcontentloaded' });
    // Swagger UI renders operations client-side once it has fetched and parsed the document.
    try {
      await page.locator('.opblock-summary-path[data-path="/api/v2/token"]').first().waitFor({ timeout: 20_000 });
    } catch (err) {
      await screenshot(page, 'docs-swagger-ui-not-rendered').catch(() => {});
      throw err;
    }
  });

  afterAll(async () => {
    await session?.close();
    await t?.close();
  });

  it('renders the Swagger UI with the API title', async () => {
    const file = await screenshot(page, 'docs-swagger-ui');
    expect(file).toMatch(/test-artifacts\/screenshots\/docs-swagger-ui\.png$/);
    await expect(page.title()).resolves.toMatch(/swagger ui/i);
    const title = (await page.locator('.info .title').first().textContent()) ?? '';
    expect(title).toContain('openwaba');
  });

  it('lists the Partner API operations', async () => {
    const token = page.locator('.opblock-post .opblock-summary-path[data-path="/api/v2/token"]');
    await expect(token.count()).resolves.toBeGreaterThan(0);
    const partner = page.locator('.opblock-get .opblock-summary-path[data-path="/api/v2/partners/{partner_id}"]');
    await expect(partner.count()).resolves.toBeGreaterThan(0);
    const paths = await page.locator('.opblock-summary-path').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-path')),
    );
    expect(paths.length).toBeGreaterThanOrEqual(5);
    expect(paths).toContain('/api/v2/partners/{partner_id}/clients');
  });

  it('loads the same OpenAPI document the server publishes at /openapi.json', async () => {
    // @fastify/swagger-ui points its page at /docs/json; either URL is fine as long as the
    // page got the published document.
    expect(specLoads.length).toBeGreaterThan(0);
    const loaded = (await Promise.all(specLoads))[0]!;
    expect(loaded.status).toBe(200);
    const published = await t.get('/openapi.json');
    expect(published.status).toBe(200);
    expect(published.body.openapi).toBe('3.1.0');
    expect(loaded.body).toEqual(published.body);
    expect(Object.keys(loaded.body.paths)).toContain('/api/v2/token');
  });

  it('works offline and without script errors', () => {
    expect(session.errors).toEqual([]);
    expect(session.blocked).toEqual([]);
  });
});
