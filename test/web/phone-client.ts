// A tiny browser for the sandbox phone's HTTP tests: keeps cookies, reads the CSRF token of the
// last page, and posts forms the way a browser without JavaScript does.
import type { Http, HttpResponse } from '../helpers/app.ts';
import type { Receiver } from '../helpers/receiver.ts';
import type { Page } from 'playwright-core';
import { launchIsolatedPage, type IsolatedBrowser } from '../helpers/browser.ts';

/** The user's messages among webhook bodies (Cloud format), in order, each with its contact. */
const inboundOf = (bodies: any[]) =>
  bodies
    .map((b) => b.entry[0].changes[0].value)
    .filter((v) => v.messages)
    .map((v) => ({ contact: v.contacts[0], ...v.messages[0] }));

/** The inbound messages the channel's webhook (the receiver) got so far, in order, each with its contact. */
export function inboundMessages(receiver: Receiver): any[] {
  return inboundOf(receiver.bodies());
}

/** Waits (as webhooks arrive) for the n-th inbound message (1-based) and returns it. */
export function waitForInbound(receiver: Receiver, n: number, timeoutMs = 10_000): Promise<any> {
  return receiver.waitForBody(`inbound message ${n}`, (bodies) => inboundOf(bodies)[n - 1], timeoutMs);
}

export class PhoneClient {
  private cookies = new Map<string, string>();
  csrf = '';
  last: HttpResponse<string> | undefined;

  constructor(private readonly http: Http) {}

  private remember(res: HttpResponse) {
    const raw = res.headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if (typeof res.body === 'string') {
      const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
      if (m) this.csrf = m[1]!;
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string) {
    this.cookies.set(name, value);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return { ...(cookie ? { cookie } : {}), ...extra };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const res = await this.http.get(path, { headers: this.headers(headers) });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** Posts a form; the session's CSRF token is added unless `_csrf` is given. */
  async post(path: string, form: Record<string, string>, opts: { json?: boolean } = {}): Promise<HttpResponse> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...form }).toString();
    const res = await this.http.post(path, {
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', ...(opts.json ? { accept: 'application/json' } : {}) }),
      raw: body,
    });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** Opens the phone with a channel key and becomes the given user. */
  async open(apiKey: string, user: { wa_id: string; name: string }): Promise<void> {
    await this.get('/sandbox/phone');
    const key = await this.post('/sandbox/phone/key', { api_key: apiKey });
    if (key.status !== 303) throw new Error(`key form answered ${key.status}`);
    await this.get('/sandbox/phone');
    const u = await this.post('/sandbox/phone/user', user);
    if (u.status !== 303) throw new Error(`user form answered ${u.status}: ${u.text.slice(0, 300)}`);
    await this.get('/sandbox/phone');
  }

  /** The live JSON view of the conversation. */
  async items(): Promise<any[]> {
    const res = await this.get('/sandbox/phone/messages', { accept: 'application/json' });
    if (res.status !== 200) throw new Error(`messages answered ${res.status}`);
    return (res.body as any).items;
  }
}

/**
 * Waits until the chat page's script has enhanced it (phone.js marks #chat data-live). phone.js is
 * deferred: the composer can be filled before it runs, and Enter pressed then adds a line instead
 * of sending (CI once lost a first message this way on a loaded machine).
 */
export async function chatLive(page: Page, timeout = 15_000): Promise<void> {
  await page.locator('#chat[data-live]').waitFor({ state: 'attached', timeout });
}

/**
 * A phone-sized Chromium page on the sandbox phone, signed in with the channel's key as user `wa`
 * (named `name`), on the chat page (nothing written yet).
 */
export async function signInPhone(baseUrl: string, apiKey: string, user: { wa: string; name: string }): Promise<IsolatedBrowser> {
  const session = await launchIsolatedPage(baseUrl, { viewport: { width: 375, height: 667 } });
  const page = session.page;
  await page.goto(`${baseUrl}/sandbox/phone`);
  await page.getByLabel('Channel API key (D360-API-KEY)').fill(apiKey);
  await page.keyboard.press('Enter');
  await page.getByLabel('Your number (wa_id)').fill(user.wa);
  await page.getByLabel('Your name').fill(user.name);
  await page.keyboard.press('Enter');
  await chatLive(page);
  return session;
}

/**
 * openPhoneChat: signInPhone, then user `wa` has written `say` to the business (opening the 24-hour window); resolves
 * once the business's webhook (the receiver, its first inbound message) got it.
 */
export async function openPhoneChat(
  baseUrl: string,
  apiKey: string,
  receiver: Receiver,
  user: { wa: string; name: string; say: string },
): Promise<IsolatedBrowser> {
  const session = await signInPhone(baseUrl, apiKey, user);
  const page = session.page;
  await page.getByLabel('Message').fill(user.say);
  await page.keyboard.press('Enter');
  await waitForInbound(receiver, 1);
  return session;
}
