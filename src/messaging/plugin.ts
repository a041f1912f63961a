// The Messaging API: Cloud (`/messages`, `/media`, …) and On-Premise (`/v1/…`) flavours, and the
// sandbox's own endpoints (`/sandbox/v1/…`). Every route takes a channel's D360-API-KEY.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.ts';
import { authenticateChannel } from './auth.ts';
import { checkGraphNode, graphPathOf } from './graph-paths.ts';
import { messagingErrorHandler } from './errors.ts';
import { documentErrorResponses } from './error-responses.ts';
import { Messenger } from './send.ts';
import { messageRoutes } from './routes/messages.ts';
import { marketingMessageRoutes } from './routes/marketing-messages.ts';
import { webhookConfigRoutes } from './routes/webhook-config.ts';
import { multiWebhookRoutes } from './routes/multi-webhook.ts';
import { webhookAppSecretRoutes } from './routes/webhook-app-secret.ts';
import { sandboxRoutes } from './routes/sandbox.ts';
import { paymentRoutes } from './payments/routes.ts';
import { accountUpdateRoutes } from './routes/account-update.ts';
import { channelInfoRoutes } from './routes/channel-info.ts';
import { onPremSettingsRoutes } from './routes/onprem-settings.ts';
import { onPremApplicationRoutes } from './routes/onprem-application.ts';
import { wabaWebhookRoutes } from './routes/waba-webhook.ts';
import { onPremPhotoRoutes } from './routes/onprem-photo.ts';
import { templateRoutes } from './routes/templates.ts';
import { templateLibraryRoutes } from './routes/template-library.ts';
import { templateMigrateRoutes } from './routes/template-migrate.ts';
import { flowMigrateRoutes } from './routes/flows-migrate.ts';
import { appSubscriptionRoutes } from './routes/app-subscriptions.ts';
import { templateUpsertRoutes } from './routes/template-upsert.ts';
import { templatePreviewRoutes } from './routes/template-previews.ts';
import { templateAnalyticsRoutes } from './routes/template-analytics.ts';
import { mediaRoutes } from './routes/media.ts';
import { resumableUploadRoutes } from './routes/resumable-upload.ts';
import { encryptionRoutes } from './routes/encryption.ts';
import { phoneNumberRoutes } from './routes/phone-numbers.ts';
import { addPhoneNumberRoutes } from './routes/add-phone-number.ts';
import { blockUserRoutes } from './routes/block-users.ts';
import { messageHistoryRoutes } from './routes/message-history.ts';
import { qrCodeRoutes } from './routes/qr-codes.ts';
import { subscribedAppRoutes } from './routes/subscribed-apps.ts';
import { productCatalogRoutes } from './routes/product-catalogs.ts';
import { conversionEventRoutes } from './routes/conversion-events.ts';
import { assignedUserRoutes } from './routes/assigned-users.ts';
import { paymentConfigurationRoutes } from './routes/payment-configurations.ts';
import { phoneSettingsRoutes } from './routes/phone-settings.ts';
import { conversationalAutomationRoutes } from './routes/conversational-automation.ts';
import { complianceInfoRoutes } from './routes/compliance-info.ts';
import { officialBusinessAccountRoutes } from './routes/official-business-account.ts';
import { flowCloudRoutes } from './routes/flows.ts';
import { callingRoutes } from './routes/calling.ts';
import { groupRoutes } from './routes/groups.ts';
import { coexistenceRoutes } from './routes/coexistence.ts';
import { graphMeRoutes } from './routes/graph-me.ts';
import { marketingRoutes } from './routes/marketing.ts';
import { graphNodeHook } from './graph-node.ts';
import { graphMetrics } from '../network/meta/graph-metrics.ts';
import { MetaCloudApi } from '../network/meta/cloud-api.ts';

export interface MessagingOptions {
  deps: Deps;
  messenger: Messenger;
  /** Media, templates, profile and health of numbers on Meta's network, asked of Meta. */
  meta: MetaCloudApi;
}

export const messagingApi: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // The root app's registry (buildApp decorates it before the API plugins are registered).
  const metaMetrics = app.metricsRegistry ? graphMetrics(app.metricsRegistry) : undefined;
  const messenger = new Messenger(deps, metaMetrics);
  const meta = new MetaCloudApi(deps, metaMetrics);
  app.addHook('onClose', async () => {
    await messenger.close();
    await meta.close();
  });
  app.decorateRequest('channel', null);
  app.setErrorHandler(messagingErrorHandler);
  // Every route's 400 and 401 bodies in /openapi.json (before the routes, so that it sees them all).
  app.addHook('onRoute', documentErrorResponses);
  // The key is checked first (onRequest: before the body is read or parsed), so a bad key is a
  // 401 whatever the body holds: malformed JSON, a wrong content type, a body over the limit.
  // A callback hook: a kept key answers without a promise (see authenticateChannel).
  app.addHook('onRequest', (request, _reply, done) => {
    let found: ReturnType<typeof authenticateChannel>;
    try {
      found = authenticateChannel(deps, request);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (found instanceof Promise) {
      found.then(
        (channel) => {
          request.channel = channel;
          if (graphPathOf(request)) checkGraphNode(deps, request, channel).then(() => done(), done);
          else done();
        },
        (err: Error) => done(err),
      );
    } else {
      request.channel = found;
      // A Graph path's node must be the key's own number or WABA (graph-paths.ts).
      if (graphPathOf(request)) checkGraphNode(deps, request, found).then(() => done(), done);
      else done();
    }
  });
  // The bare Graph node /{version}/{id}: the phone number, WABA, flow and template nodes are
  // answered before the media and template routes the rewrite sent it to (graph-node.ts).
  app.addHook('preValidation', graphNodeHook(deps, meta));
  const opts: MessagingOptions = { deps, messenger, meta };
  await app.register(messageRoutes, opts);
  await app.register(marketingMessageRoutes, opts);
  await app.register(webhookConfigRoutes, opts);
  await app.register(multiWebhookRoutes, opts);
  await app.register(webhookAppSecretRoutes, opts);
  await app.register(sandboxRoutes, opts);
  await app.register(paymentRoutes, opts);
  await app.register(accountUpdateRoutes, opts);
  await app.register(channelInfoRoutes, opts);
  await app.register(onPremSettingsRoutes, opts);
  await app.register(onPremApplicationRoutes, opts);
  await app.register(onPremPhotoRoutes, opts);
  await app.register(templateRoutes, opts);
  await app.register(templateLibraryRoutes, opts);
  await app.register(templateMigrateRoutes, opts);
  await app.register(templateUpsertRoutes, opts);
  await app.register(templatePreviewRoutes, opts);
  await app.register(templateAnalyticsRoutes, opts);
  await app.register(encryptionRoutes, opts);
  await app.register(phoneNumberRoutes, opts);
  await app.register(addPhoneNumberRoutes, opts);
  await app.register(blockUserRoutes, opts);
  await app.register(messageHistoryRoutes, opts);
  await app.register(qrCodeRoutes, opts);
  await app.register(subscribedAppRoutes, opts);
  await app.register(productCatalogRoutes, opts);
  await app.register(conversionEventRoutes, opts);
  await app.register(assignedUserRoutes, opts);
  await app.register(paymentConfigurationRoutes, opts);
  await app.register(appSubscriptionRoutes, opts);
  await app.register(wabaWebhookRoutes, opts);
  await app.register(phoneSettingsRoutes, opts);
  await app.register(conversationalAutomationRoutes, opts);
  await app.register(complianceInfoRoutes, opts);
  await app.register(officialBusinessAccountRoutes, opts);
  await app.register(flowCloudRoutes, opts);
  await app.register(flowMigrateRoutes, opts);
  await app.register(callingRoutes, opts);
  await app.register(resumableUploadRoutes, opts);
  await app.register(groupRoutes, opts);
  await app.register(coexistenceRoutes, opts);
  await app.register(graphMeRoutes, opts);
  await app.register(marketingRoutes, opts);
  // Last: GET/DELETE /{media_id} take any single-segment path the routes above do not.
  await app.register(mediaRoutes, opts);
};
