// The browser side, served by the same process: the Partner Hub (/hub), Integrated Onboarding
// (/dashboard/app/…) and the sandbox phone (/sandbox/phone). Pages are server-rendered and escaped
// by construction; forms carry a CSRF token bound to the session.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { Deps } from '../deps.ts';
import { toApiError } from '../errors.ts';
import { renderPage } from './render.ts';
import { hubPages } from './hub/plugin.ts';
import { phonePages } from './phone/plugin.ts';
import { onboardingPages } from './onboarding/plugin.ts';
import { flowPreviewRoutes } from './flow-preview.ts';

const assetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const ASSET_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export const webPlugin: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  // Static assets: read once, served with a short cache.
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const f of fs.readdirSync(assetsDir)) {
    const type = ASSET_TYPES[path.extname(f)];
    if (type) assets.set(f, { type, body: fs.readFileSync(path.join(assetsDir, f)) });
  }
  app.get('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const a = assets.get((request.params as { file: string }).file);
    if (!a) return reply.status(404).type('text/plain').send('Not found');
    return reply.header('content-type', a.type).header('cache-control', 'public, max-age=300').send(a.body);
  });

  // A browser at the server's root lands on the Hub's login; browsers ask for a favicon on every
  // page (there is none: 204 rather than the Messaging API's 401 for an unknown media id).
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/hub', 302));
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.status(204).header('cache-control', 'public, max-age=86400').send());

  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'page failed');
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    // Inside the Hub (a signed-in partner page) the error page keeps the Hub's menu.
    const hub = request.hub;
    const nav = hub ? { partnerId: hub.partnerId, csrf: hub.csrf, username: hub.username } : {};
    return renderPage(reply, 'error', { ...nav, title: e.status >= 500 ? 'Something went wrong' : 'Cannot do that', status: e.status, message: e.status >= 500 ? 'Internal error' : e.message }, e.status);
  });

  // Page groups (one register line each) share the cookies, form parsing and error page above.
  await app.register(hubPages, { deps });
  await app.register(phonePages, { deps });
  await app.register(onboardingPages, { deps });
  flowPreviewRoutes(app, deps);
  void deps;
};
