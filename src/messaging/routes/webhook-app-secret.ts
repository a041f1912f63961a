// The number's webhook app secret (../webhook-app-secret.ts): Meta-style X-Hub-Signature-256 on
// its webhooks, opt-in. GET/PUT/POST/DELETE /configs/app_secret (Cloud error format) and
// /v1/configs/app_secret (On-Premise), beside /configs/webhook; the key's own number only.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import {
  MAX_APP_SECRET,
  MIN_APP_SECRET,
  appSecretStatus,
  checkDeleteBody,
  checkGenerateBody,
  deleteAppSecret,
  generateAppSecret,
  parseAppSecretBody,
  setAppSecret,
} from '../webhook-app-secret.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Status = Type.Object({ enabled: Type.Boolean(), modified_at: Type.Union([Type.String(), Type.Null()]) });
const Success = Type.Object({ success: Type.Boolean() });
const Generated = Type.Object({ app_secret: Type.String() });
const SIGNING =
  "With an app secret set, every webhook of the number (its own URL, its WABA's override URL and its extra webhook destinations) carries Meta's " +
  'X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>, as clients written for the Cloud API (pywa, n8n, ' +
  'whatsapp-api-js) verify it; the body is then sent as ASCII-only JSON, as Meta sends it. Without one, webhooks are unsigned, as 360dialog sends them.';

export const webhookAppSecretRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  for (const [path, flavour] of [['/v1/configs/app_secret', 'onpremise'], ['/configs/app_secret', 'cloud']] as const) {
    const tags = ['Webhook configuration'];
    const config = { flavour };
    app.get(
      path,
      { config, schema: { tags, security, summary: "Whether the number's webhooks are signed with an app secret (never the secret itself)", description: SIGNING, response: { 200: Status } } },
      async (request) => appSecretStatus(deps, request.channel!.id),
    );
    app.put(
      path,
      {
        config,
        schema: {
          tags,
          security,
          summary: "Set the app secret that signs the number's webhooks (X-Hub-Signature-256), e.g. your Meta app's own",
          description: `{"app_secret":"…"}: ${MIN_APP_SECRET} to ${MAX_APP_SECRET} printable ASCII characters, no spaces. It is not shown again. ${SIGNING}`,
          body: Type.Unknown({ description: '{"app_secret":"…"}' }),
          response: { 200: Success },
        },
      },
      async (request) => {
        await setAppSecret(deps, request.channel!.id, parseAppSecretBody(request.body));
        return { success: true };
      },
    );
    app.post(
      path,
      {
        config,
        schema: {
          tags,
          security,
          summary: "Generate a new random app secret (32 bytes, hex) that signs the number's webhooks; answered this once",
          description: `No body. Replaces any secret set before. ${SIGNING}`,
          body: Type.Unknown(),
          response: { 200: Generated },
        },
      },
      async (request, reply) => {
        checkGenerateBody(request.body);
        const secret = await generateAppSecret(deps, request.channel!.id);
        reply.header('cache-control', 'no-store');
        return { app_secret: secret };
      },
    );
    app.delete(
      path,
      { config, schema: { tags, security, summary: "Remove the app secret: the number's webhooks are sent unsigned again", description: 'No body.', response: { 200: Success } } },
      async (request) => {
        checkDeleteBody(request.body);
        await deleteAppSecret(deps, request.channel!.id);
        return { success: true };
      },
    );
  }
};
