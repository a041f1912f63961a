// The Partner Hub at /hub: login and logout here; every page under /hub/partner/{pid}/… requires
// a hub session of that partner (none → the login page, another partner's → 403), and every
// POST there carries the session's CSRF token.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { forbidden } from '../../errors.ts';
import { authenticateHubUser } from '../../services/hub-users.ts';
import { throttledLogin } from '../../services/login-throttle.ts';
import { renderPage } from '../render.ts';
import { checkCsrf, createSession, destroySession } from '../sessions.ts';
import { currentHubSession, field, partnerPath, type HubSubject } from './context.ts';
import { checkHubLoginToken, clearHubLoginCookie, hubLoginToken } from './login-csrf.ts';
import { integrationPages } from './integration.ts';
import { apiKeyPages } from './api-keys.ts';
import { clientPages } from './clients.ts';
import { channelPages } from './channels.ts';
import { webhookPages } from './webhooks.ts';
import { usagePages } from './usage.ts';
import { templatePages } from './templates.ts';
import { templateFormPages } from './template-form.ts';
import { flowPages } from './flows.ts';
import { flowFormPages } from './flow-form.ts';
import { partnerChangePages } from './partner-changes.ts';

/** A login form posted from another site (login CSRF) is refused; browsers send Origin on POSTs. */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export const hubPages: FastifyPluginAsync<{ deps: Deps }> = async (root, { deps }) => {
  root.decorateRequest('hub', null);
  await root.register((app) => hubRoutes(app, deps), { prefix: '/hub' });
};

async function hubRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  app.setNotFoundHandler((request, reply) => renderPage(reply, 'error', { title: 'Not found', status: 404, message: `There is no page at ${request.url.split('?')[0]!.slice(0, 200)}` }, 404));

  /** The login page's data; its form carries a fresh pre-login CSRF token (login-csrf.ts). */
  const loginForm = (request: FastifyRequest, reply: FastifyReply, username = '', error?: string, next?: string) => ({
    title: 'Partner Hub login',
    username,
    error,
    next,
    csrf: hubLoginToken(deps, request, reply),
  });

  /** A `next` the login form may carry: a plain path under /hub/partner/ (no "//", "\\" or spaces). */
  const nextOf = (raw: unknown): string | undefined => {
    const v = typeof raw === 'string' ? raw : undefined;
    return v && v.length <= 2000 && v.startsWith('/hub/partner/') && !/[\\\s]|\/\//.test(v) ? v : undefined;
  };
  /**
   * Where to go after logging in: the page that asked for the login (a `next` from nextOf) when
   * it is one of the user's own partner's pages, else the partner's home.
   */
  const afterLogin = (next: string | undefined, partnerId: string): string => {
    const home = partnerPath(partnerId);
    return next !== undefined && (next === home || next.startsWith(`${home}/`) || next.startsWith(`${home}?`)) ? next : home;
  };

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const s = await currentHubSession(deps, request);
    const next = nextOf((request.query as Record<string, unknown> | undefined)?.next);
    if (s) return reply.redirect(afterLogin(next, s.subject.partnerId), 303);
    return renderPage(reply, 'hub/login', loginForm(request, reply, '', undefined, next));
  });

  app.post('/login', { schema: { hide: true } }, async (request, reply) => {
    if (!sameOrigin(request.headers.origin, request.headers.host)) throw forbidden('This login form was posted from another site');
    const username = field(request.body, 'username', 320)?.trim() ?? '';
    const password = field(request.body, 'password', 1024) ?? '';
    const next = nextOf(field(request.body, 'next', 2000));
    // Login CSRF: without this browser's pre-login token the form is shown again (with a new
    // token), before any account is looked up or counted by the throttle.
    if (!checkHubLoginToken(deps, request, (request.body as Record<string, unknown> | undefined)?._csrf)) {
      return renderPage(reply, 'hub/login', loginForm(request, reply, username, 'This login form has expired or was not sent from this site: log in again.', next), 403);
    }
    if (!username || !password) {
      return renderPage(reply, 'hub/login', loginForm(request, reply, username, 'Enter your username (email) and password.', next), 400);
    }
    // The same throttle as POST /api/v2/token: counted before the password is checked.
    const login = await throttledLogin(deps, username, request.ip, () => authenticateHubUser(deps, username, password));
    if (login.kind === 'blocked') {
      reply.header('retry-after', String(login.retryAfterSeconds));
      return renderPage(reply, 'hub/login', loginForm(request, reply, username, `Too many failed logins; try again in ${login.retryAfterSeconds} s.`, next), 429);
    }
    if (login.kind === 'wrong') return renderPage(reply, 'hub/login', loginForm(request, reply, username, 'Wrong username or password.', next), 401);
    const user = login.user;
    // A fresh session id on every login (no fixation); an earlier session of this browser ends.
    const old = await currentHubSession(deps, request);
    if (old) await destroySession(deps, reply, old, 'hub');
    await createSession<HubSubject>(deps, reply, 'hub', { userId: user.id, partnerId: user.partner_id, username: user.username });
    clearHubLoginCookie(deps, reply);
    return reply.redirect(afterLogin(next, user.partner_id), 303);
  });

  // The login and logout forms' addresses, opened with GET (a reload of a failed login, a copied
  // URL): the login page (which sends a signed-in user on), keeping where the login leads.
  app.get('/login', { schema: { hide: true } }, async (request, reply) => {
    const next = nextOf((request.query as Record<string, unknown> | undefined)?.next);
    return reply.redirect(next ? `/hub?next=${encodeURIComponent(next)}` : '/hub', 303);
  });
  app.get('/logout', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/hub', 303));

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const s = await currentHubSession(deps, request);
    if (!s) return reply.redirect('/hub', 303);
    if (!checkCsrf(s, (request.body as Record<string, unknown> | undefined)?._csrf)) throw forbidden('The form has expired or was not sent from this site; reload the page and try again');
    await destroySession(deps, reply, s, 'hub');
    return reply.redirect('/hub', 303);
  });

  await app.register(
    async (partner) => {
      partner.addHook('preHandler', async (request, reply) => {
        const pid = (request.params as { partner_id: string }).partner_id;
        const s = await currentHubSession(deps, request);
        // Logged out: the login page, which comes back to this page (a GET) afterwards.
        if (!s) return reply.redirect(request.method === 'GET' && nextOf(request.url) ? `/hub?next=${encodeURIComponent(request.url)}` : '/hub', 303);
        if (s.subject.partnerId !== pid) throw forbidden('This page belongs to another partner');
        if (request.method === 'POST' && !checkCsrf(s, (request.body as Record<string, unknown> | undefined)?._csrf)) {
          throw forbidden('The form has expired or was not sent from this site; reload the page and try again');
        }
        request.hub = { session: s, partnerId: pid, username: s.subject.username, csrf: s.csrfToken };
      });
      for (const pages of [integrationPages, apiKeyPages, clientPages, channelPages, templatePages, templateFormPages, flowPages, flowFormPages, webhookPages, usagePages, partnerChangePages]) {
        await partner.register(pages, { deps });
      }
    },
    { prefix: '/partner/:partner_id' },
  );
}
