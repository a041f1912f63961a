// The Hub login form's CSRF token (against login CSRF: a page of another site posting the
// attacker's credentials so that the victim's browser is signed in as the attacker). Before login
// there is no session to hold a token, so the login page keys one to a short-lived pre-login
// cookie (double submit, stateless: no database row per anonymous visitor, and any instance can
// check it): the cookie `ow_hub_login` holds a random nonce (HttpOnly, SameSite=Lax, path /hub);
// the form's `_csrf` is `{expiry}.{HMAC-SHA256 keyed with the nonce over the expiry}`. Another
// site can neither read the cookie nor the page, so it cannot send a matching pair; the form's
// token does not reveal the cookie. Compared in constant time, before any account is looked up.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { newSecret } from '../../crypto.ts';

const COOKIE = 'ow_hub_login';
/** How long a login form stays valid (and its cookie lives). */
export const LOGIN_CSRF_TTL_MS = 2 * 3600_000;
const NONCE = /^[A-Za-z0-9]{32,64}$/;

function cookieOptions(deps: Deps) {
  return { path: '/hub', httpOnly: true, sameSite: 'lax' as const, secure: deps.config.publicUrl.startsWith('https:'), maxAge: Math.floor(LOGIN_CSRF_TTL_MS / 1000) };
}

function nonceOf(request: FastifyRequest): string | undefined {
  const v = request.cookies[COOKIE];
  return v && NONCE.test(v) ? v : undefined;
}

function mac(nonce: string, expiry: string): string {
  return createHmac('sha256', nonce).update(`openwaba hub login ${expiry}`).digest('base64url');
}

/**
 * The token for a login form this reply shows: keyed to the browser's pre-login cookie, which is
 * set (or renewed, keeping its nonce so that other open login tabs stay valid) on the way.
 */
export function hubLoginToken(deps: Deps, request: FastifyRequest, reply: FastifyReply): string {
  const nonce = nonceOf(request) ?? newSecret(32);
  reply.setCookie(COOKIE, nonce, cookieOptions(deps));
  const expiry = String(deps.clock.now().getTime() + LOGIN_CSRF_TTL_MS);
  return `${expiry}.${mac(nonce, expiry)}`;
}

/** Whether `presented` is an unexpired token of this browser's pre-login cookie (constant-time compare). */
export function checkHubLoginToken(deps: Deps, request: FastifyRequest, presented: unknown): boolean {
  const nonce = nonceOf(request);
  if (!nonce || typeof presented !== 'string' || presented.length > 200) return false;
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!m) return false;
  const a = Buffer.from(m[2]!);
  const b = Buffer.from(mac(nonce, m[1]!));
  if (!(a.length === b.length && timingSafeEqual(a, b))) return false;
  return Number(m[1]) > deps.clock.now().getTime();
}

/** After a login: the pre-login cookie has done its work. */
export function clearHubLoginCookie(deps: Deps, reply: FastifyReply): void {
  reply.clearCookie(COOKIE, { path: cookieOptions(deps).path });
}
