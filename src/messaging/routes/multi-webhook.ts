// Multiple webhooks per number: GET/POST/PUT/PATCH /multi_webhook (360dialog's Cloud Messaging
// API, reference §4.1). Successes answer `{"message": "…"}` (GET the configuration), errors
// `{"error": "…"}` — 360dialog's bodies for this endpoint (`utils.SuccessResp`, `utils.ErrorResp`):
// 400 for a body that breaks a rule (named), 404 for a PATCH of a name that is not there, 409 when
// the number's state is in the way (PUT of a name already there or past three; PUT or PATCH
// before POST enabled the copies); 400 on every method, GET included, for a number hosted
// On-Premise (multiple webhooks are for Cloud API numbers only). The key is checked as on every
// Messaging API route.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { RouteErrorBody } from '../errors.ts';
import {
  MAX_DESTINATIONS,
  appendDestinations,
  assertCloudNumber,
  parseAppendBody,
  parsePatchBody,
  parseSetBody,
  readMultiWebhook,
  setMultiWebhook,
  updateDestinations,
} from '../multi-webhook.ts';

const PATH = '/multi_webhook';
const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Webhook configuration'];
const config = { flavour: 'cloud' as const, errorBody: 'message' satisfies RouteErrorBody };
const Destination = Type.Object({ name: Type.String(), url: Type.String(), headers: Type.Record(Type.String(), Type.String()) });
const Config = Type.Object({ enabled: Type.Boolean(), destinations: Type.Array(Destination) });
const Message = Type.Object({ message: Type.String() });
const ErrorBody = Type.Object({ error: Type.String() });
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const RULES =
  `At most ${MAX_DESTINATIONS} destinations besides the main webhook (/v1/configs/webhook); names are case-sensitive and unique per number. ` +
  'URLs and headers follow the rules of the main webhook (OPENWABA_WEBHOOK_URL_POLICY). A destination gets a copy of each event, with the same body, ' +
  'once the main webhook has taken it (2xx), delivered and retried on its own. Cloud API numbers only: a number hosted On-Premise gets a 400.';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const multiWebhookRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  const policy = () => deps.config.webhookUrlPolicy;

  app.get(
    PATH,
    { config, schema: { tags, summary: "The number's extra webhook destinations and whether they are enabled (Cloud API numbers only)", security, response: { 200: Config, 400: ErrorBody } } },
    async (request) => {
      assertCloudNumber(request.channel!);
      return readMultiWebhook(deps, request.channel!.id);
    },
  );

  app.post(
    PATH,
    {
      config,
      schema: {
        tags,
        summary: 'Enable or disable the extra webhook destinations; with "destinations", replace the list',
        description: `{"enabled":true,"destinations":[{"name":"crm","url":"https://example.com/hook","headers":{"Authorization":"Basic …"}}]}. Without "destinations" the stored list is kept. ${RULES}`,
        security,
        body: Type.Unknown(),
        response: { 200: Message, ...errors },
      },
    },
    async (request) => {
      assertCloudNumber(request.channel!);
      const input = parseSetBody(request.body, policy());
      const n = await setMultiWebhook(deps, request.channel!.id, input);
      return { message: input.enabled ? `Multiple webhooks enabled for this number: ${plural(n, 'destination')}` : `Multiple webhooks disabled for this number (${plural(n, 'destination')} kept)` };
    },
  );

  app.put(
    PATH,
    {
      config,
      schema: {
        tags,
        summary: 'Add destinations to the list (multiple webhooks must be enabled first)',
        description: `{"destinations":[{"name":"archive","url":"https://example.com/archive"}]}. ${RULES}`,
        security,
        body: Type.Unknown(),
        response: { 200: Message, ...errors },
      },
    },
    async (request) => {
      assertCloudNumber(request.channel!);
      const list = parseAppendBody(request.body, policy());
      const total = await appendDestinations(deps, request.channel!.id, list);
      return { message: `${plural(list.length, 'destination')} added: ${total} of at most ${MAX_DESTINATIONS} in use` };
    },
  );

  app.patch(
    PATH,
    {
      config,
      schema: {
        tags,
        summary: 'Change the url and/or headers of a destination found by name',
        description: `{"name":"crm","url":"https://example.com/new-hook"} (or {"destinations":[{…}]}); fields left out are kept. ${RULES}`,
        security,
        body: Type.Unknown(),
        response: { 200: Message, ...errors },
      },
    },
    async (request) => {
      assertCloudNumber(request.channel!);
      const changes = parsePatchBody(request.body, policy());
      await updateDestinations(deps, request.channel!.id, changes);
      const names = changes.map((c) => `"${c.name}"`).join(', ');
      return { message: `${changes.length === 1 ? 'Destination' : 'Destinations'} ${names} updated` };
    },
  );
};
