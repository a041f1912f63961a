// A cookie-keeping HTTP client that walks the onboarding pages as a browser would: keeps the
// ow_onb cookie, reads the CSRF token and the sandbox code from the pages, posts forms, and
// follows the app's own 303s (never the final one to the partner).
import { request } from 'undici';

export interface Page {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  html: string;
  location: string | undefined;
  ms: number;
}

export class OnboardingClient {
  cookie: string | undefined;
  csrf: string | undefined;
  last: Page | undefined;

  constructor(readonly baseUrl: string) {}

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Page> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const started = performance.now();
    const res = await request(new URL(path, this.baseUrl), { method, headers, body });
    const html = await res.body.text();
    const ms = performance.now() - started;
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (name === 'ow_onb') this.cookie = value && !/max-age=0|expires=thu, 01 jan 1970/i.test(c) ? `ow_onb=${value}` : undefined;
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html);
    if (csrf) this.csrf = csrf[1];
    const location = res.headers.location;
    this.last = { status: res.statusCode, headers: res.headers, html, location: Array.isArray(location) ? location[0] : location, ms };
    return this.last;
  }

  get(path: string): Promise<Page> {
    return this.send('GET', path);
  }

  /** Posts a form with the current CSRF token; follows a 303 back into the app. */
  async post(path: string, form: Record<string, string> = {}): Promise<Page> {
    const res = await this.send('POST', path, { ...(this.csrf !== undefined ? { _csrf: this.csrf } : {}), ...form });
    if (res.status === 303 && res.location?.startsWith('/')) return this.get(res.location);
    return res;
  }

  /** Posts exactly this form: no token added, no redirect followed. */
  postRaw(path: string, form: Record<string, string>): Promise<Page> {
    return this.send('POST', path, form);
  }

  /** The sandbox code shown on the last page. */
  code(): string {
    const m = /id="sandbox-code">(\d{6})</.exec(this.last?.html ?? '');
    if (!m) throw new Error(`no sandbox code on the page (HTTP ${this.last?.status})`);
    return m[1]!;
  }
}

/** Signs up, names and verifies a number, and grants permission; returns the final response. */
export async function onboard(
  c: OnboardingClient,
  pid: string,
  o: { query?: string; name: string; email: string; password: string; number?: string; displayName?: string },
): Promise<Page> {
  const base = `/dashboard/app/${pid}`;
  let page = await c.get(`${base}/permissions${o.query ? `?${o.query}` : ''}`);
  if (page.status !== 200) throw new Error(`entry: HTTP ${page.status}`);
  page = await c.post(`${base}/signup`, { name: o.name, email: o.email, password: o.password });
  if (page.status !== 200 || !page.html.includes('name="number"')) throw new Error(`signup: HTTP ${page.status}`);
  return addNumber(c, pid, o);
}

/** From the phone step: number, code, permission. */
export async function addNumber(c: OnboardingClient, pid: string, o: { number?: string; displayName?: string }): Promise<Page> {
  const base = `/dashboard/app/${pid}`;
  const form: Record<string, string> = { display_name: o.displayName ?? 'Acme Support' };
  form.number = o.number ?? /name="number"[^>]*value="([^"]*)"/.exec(c.last!.html)?.[1] ?? '';
  let page = await c.post(`${base}/phone`, form);
  if (page.status !== 200) throw new Error(`phone: HTTP ${page.status}: ${page.html.slice(0, 300)}`);
  page = await c.post(`${base}/verify`, { code: c.code() });
  if (page.status !== 200 || !page.html.includes('name="grant"')) throw new Error(`verify: HTTP ${page.status}`);
  return c.post(`${base}/permission`, { grant: 'yes' });
}
