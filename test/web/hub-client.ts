// A cookie-keeping HTTP client for the Partner Hub's pages: logs in with the form (fetched first,
// for its pre-login CSRF token and cookie), keeps the session cookie, reads the CSRF token from
// the pages it gets, and posts forms.
import { request } from 'undici';

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  html: string;
  location: string | undefined;
  /** Server-side time from request to last byte, in ms. */
  ms: number;
}

export class HubClient {
  cookie: string | undefined;
  /** The pre-login cookie (ow_hub_login) the login page sets for its form's token. */
  loginCookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly baseUrl: string, readonly extraHeaders: Record<string, string> = {}) {}

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<PageResponse> {
    const h: Record<string, string> = { ...this.extraHeaders, ...headers };
    const cookies = [this.cookie, this.loginCookie].filter(Boolean);
    if (cookies.length && !('cookie' in h)) h.cookie = cookies.join('; ');
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const started = performance.now();
    const res = await request(new URL(path, this.baseUrl), { method, headers: h, body });
    const html = await res.body.text();
    const ms = performance.now() - started;
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name === 'ow_hub') this.cookie = value ? `ow_hub=${value}` : undefined;
      if (name === 'ow_hub_login') this.loginCookie = value ? `ow_hub_login=${value}` : undefined;
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html);
    if (csrf) this.csrf = csrf[1];
    const location = res.headers.location;
    return { status: res.statusCode, headers: res.headers, html, location: Array.isArray(location) ? location[0] : location, ms };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.send('GET', path, undefined, headers);
  }

  /** Posts a form with the current CSRF token (unless the form names its own `_csrf`). */
  post(path: string, form: Record<string, string | string[]> = {}, headers?: Record<string, string>) {
    return this.send('POST', path, { ...(this.csrf !== undefined ? { _csrf: this.csrf } : {}), ...form }, headers);
  }

  /** Posts exactly this form (no token added). */
  postRaw(path: string, form: Record<string, string | string[]>, headers?: Record<string, string>) {
    return this.send('POST', path, form, headers);
  }

  /** Follows a redirect the way a browser does after a form's POST: a GET of its Location. */
  async follow(res: PageResponse): Promise<PageResponse> {
    if (res.status < 300 || res.status > 399 || !res.location) throw new Error(`not a redirect: ${res.status}`);
    return this.get(res.location);
  }

  /**
   * Posts the login form as a browser does: the login page first (without the session cookie, as
   * if logged out, so that it shows the form), then the form with that page's token and cookie.
   */
  async postLogin(form: Record<string, string | string[]>, headers?: Record<string, string>): Promise<PageResponse> {
    const next = typeof form.next === 'string' ? `?next=${encodeURIComponent(form.next)}` : '';
    const page = await this.send('GET', `/hub${next}`, undefined, this.loginCookie ? { cookie: this.loginCookie } : {});
    const token = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (page.status !== 200 || !token) throw new Error(`no login form at /hub: ${page.status}`);
    return this.postRaw('/hub/login', { _csrf: token, ...form }, headers);
  }

  async login(username: string, password: string, headers?: Record<string, string>): Promise<PageResponse> {
    const res = await this.postLogin({ username, password }, headers);
    if (res.status === 303 && res.location) await this.get(res.location);
    return res;
  }
}
