// Drives Debian's Chromium (not a downloaded browser) with playwright-core.
//
// Rule: in CI (CI=true) or with OPENWABA_REQUIRE_BROWSER=1, a missing or unlaunchable Chromium
// FAILS the browser suites. Elsewhere they are skipped with a printed warning.
//
//   const browser = await checkBrowser();            // top-level await, once per file
//   describeBrowser('docs page', browser, () => { … launchBrowser() / withBrowser(fn) … });
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

const LAUNCH_TIMEOUT_MS = 30_000;

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

export function chromiumPath(): string {
  return process.env.OPENWABA_CHROMIUM || '/usr/bin/chromium';
}

/** True when a missing browser must fail the run rather than skip the suites. */
export function browserRequired(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1' || process.env.OPENWABA_REQUIRE_BROWSER === '1';
}

/** Cheap, synchronous: is there an executable Chromium where we look for it? */
export function browserAvailable(): boolean {
  try {
    fs.accessSync(chromiumPath(), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
}

/** Launches Chromium, runs `fn`, and closes the browser whatever happens. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await fn(browser);
  } finally {
    await browser.close().catch(() => {});
  }
}

export interface BrowserCheck {
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
}

let checked: Promise<BrowserCheck> | undefined;

/**
 * Whether Chromium is there AND launches (one real launch, cached per worker process).
 * Call it with top-level await so the answer is known when suites are collected.
 */
export function checkBrowser(): Promise<BrowserCheck> {
  checked ??= (async (): Promise<BrowserCheck> => {
    if (!browserAvailable()) return { available: false, reason: `no executable Chromium at ${chromiumPath()}` };
    try {
      await withBrowser(async (b) => {
        const page = await b.newPage();
        await page.setContent('<title>ok</title>');
      });
      return { available: true };
    } catch (err) {
      return { available: false, reason: `Chromium at ${chromiumPath()} failed to launch: ${(err as Error).message}` };
    }
  })();
  return checked;
}

/**
 * describe() for a browser suite. Without a working Chromium: a failing test in CI (or with
 * OPENWABA_REQUIRE_BROWSER=1), otherwise a skipped suite and a warning.
 */
export function describeBrowser(name: string, check: BrowserCheck, fn: () => void): void {
  if (check.available) {
    describe(name, fn);
    return;
  }
  if (browserRequired()) {
    describe(name, () => {
      it('has a working Chromium (required in CI)', () => {
        throw new Error(
          `${check.reason}. Install it (apt-get install -y chromium) or point OPENWABA_CHROMIUM at it.`,
        );
      });
    });
    return;
  }
  console.warn(
    `\n[openwaba tests] ${check.reason}: browser suite "${name}" is skipped ` +
      `(set CI=true or OPENWABA_REQUIRE_BROWSER=1 to make this fail)\n`,
  );
  describe.skipIf(true)(name, fn);
}

export interface IsolatedPageOptions {
  /** Default 1280×900. */
  viewport?: { width: number; height: number };
  /** Further origins the page may reach besides the allowed one (e.g. a partner's site). */
  alsoAllow?: string[];
}

export interface IsolatedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors, as messages. */
  errors: string[];
  /** URLs the page asked for outside the allowed origin (aborted). */
  blocked: string[];
}

/**
 * A fresh context and page that only talk to `allowedOrigin` (the app under test) and the
 * origins of `opts.alsoAllow`: anything else is aborted, so a page can never wait on the
 * internet. Page errors are collected.
 */
export async function newIsolatedPage(browser: Browser, allowedOrigin: string, opts: IsolatedPageOptions = {}): Promise<IsolatedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 } });
  const errors: string[] = [];
  const blocked: string[] = [];
  const origins = new Set([allowedOrigin, ...(opts.alsoAllow ?? [])].map((u) => new URL(u).origin));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || origins.has(new URL(url).origin)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors, blocked };
}

export interface IsolatedBrowser extends IsolatedPage {
  browser: Browser;
  /** Closes the context and the browser, ignoring errors (safe in afterAll after a failed setup). */
  close(): Promise<void>;
}

/** Launches Chromium and opens an isolated page in it (see newIsolatedPage); close() ends both. */
export async function launchIsolatedPage(allowedOrigin: string, opts: IsolatedPageOptions = {}): Promise<IsolatedBrowser> {
  const browser = await launchBrowser();
  try {
    const isolated = await newIsolatedPage(browser, allowedOrigin, opts);
    return {
      browser,
      ...isolated,
      async close() {
        await isolated.context.close().catch(() => {});
        await browser.close().catch(() => {});
      },
    };
  } catch (err) {
    await browser.close().catch(() => {});
    throw err;
  }
}

/** Saves a full-page PNG under test-artifacts/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
