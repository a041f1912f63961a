// The Partner API (/api/v2): 360dialog's hub API. Every error here is `{"meta":{…}}`.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.ts';
import { authenticatePartner, requirePartner } from './auth.ts';
import { partnerErrorHandler, partnerNotFoundHandler } from './errors.ts';
import { addFormBodyParser, documentFormBodies } from './form-body.ts';
import { tokenRoutes } from './routes/token.ts';
import { partnerRoutes } from './routes/partners.ts';
import { clientRoutes } from './routes/clients.ts';
import { accountSharingNumberRoutes } from './routes/account-sharing-numbers.ts';
import { channelRoutes } from './routes/channels.ts';
import { wabaAccountRoutes } from './routes/waba-accounts.ts';
import { channelApiKeyRoutes } from './routes/channel-api-keys.ts';
import { partnerApiKeyRoutes } from './routes/partner-api-keys.ts';
import { webhookEventRoutes } from './routes/webhook-events.ts';
import { wabaTemplateRoutes } from './routes/waba-templates.ts';
import { wabaTemplateExtraRoutes } from './routes/waba-templates-extra.ts';
import { flowRoutes } from './routes/flows.ts';
import { usageRoutes } from './routes/usage.ts';
import { channelSignalRoutes } from './routes/channel-signals.ts';
import { partnerChangeRequestRoutes } from './routes/partner-change-requests.ts';

export interface PartnerApiOptions {
  deps: Deps;
}

/** Routes that answer without a partner credential. */
const PUBLIC_ROUTES = new Set(['/api/v2/token']);

export const partnerApi: FastifyPluginAsync<PartnerApiOptions> = async (app, { deps }) => {
  app.decorateRequest('partner', null);
  app.setErrorHandler(partnerErrorHandler);
  app.setNotFoundHandler(partnerNotFoundHandler);
  // Authenticate before the body is even parsed, so that a bad credential is a 401 whatever the
  // body; and every route under /partners/{partner_id} is scoped to the caller's partner here,
  // once, so that no handler can forget it (403 for another partner's id).
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url && PUBLIC_ROUTES.has(request.routeOptions.url)) return;
    request.partner = await authenticatePartner(deps, request);
    const partnerId = (request.params as { partner_id?: string } | undefined)?.partner_id;
    if (partnerId !== undefined) requirePartner(request, partnerId);
  });

  // Every route with a body takes it as JSON or form-encoded (form-body.ts), as 360dialog's does.
  addFormBodyParser(app);
  documentFormBodies(app);

  await app.register(tokenRoutes, { deps });
  await app.register(partnerRoutes, { deps });
  await app.register(clientRoutes, { deps });
  await app.register(accountSharingNumberRoutes, { deps });
  await app.register(channelRoutes, { deps });
  await app.register(wabaAccountRoutes, { deps });
  await app.register(channelApiKeyRoutes, { deps });
  await app.register(partnerApiKeyRoutes, { deps });
  await app.register(webhookEventRoutes, { deps });
  await app.register(wabaTemplateRoutes, { deps });
  await app.register(wabaTemplateExtraRoutes, { deps });
  await app.register(flowRoutes, { deps });
  await app.register(usageRoutes, { deps });
  await app.register(channelSignalRoutes, { deps });
  await app.register(partnerChangeRequestRoutes, { deps });
};
