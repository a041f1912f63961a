// The demo partner's landing page (GET /demo/partner-return): where a partner's own site would be at
// the end of Integrated Onboarding. The demo tenant made on first start has this page as its
// partner_redirect_url, so the onboarding link printed then works without a site of one's own.
//
// It shows only what the redirect's query carried (client, channels, revoked, state) and the
// server's public URL: it looks nothing up, so a crafted link learns nothing from it. Ids that do not
// look like ids are shown as text but kept out of the commands a developer might paste into a shell.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { renderPage } from '../render.ts';

export const DEMO_PARTNER_RETURN_PATH = '/demo/partner-return';

/** The landing page on this server's public URL: the demo partner's partner_redirect_url. */
export function demoPartnerReturnUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${DEMO_PARTNER_RETURN_PATH}`;
}

/** The shape of a client or channel id (letters and digits only): safe inside a shell command. */
const ID = /^[A-Za-z0-9]{1,64}$/;

/** One value of a query parameter: a repeated parameter counts once, anything else is absent. */
function single(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : undefined;
}

/**
 * `[CH1,CH2]` as 360dialog sends it (literal brackets, no quotes); quotes around an id are
 * tolerated, as partners' own parsers do (reference §3).
 */
export function parseIdList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const inner = raw.trim().replace(/^\[/, '').replace(/\]$/, '');
  return inner
    .split(',')
    .map((s) => s.trim().replace(/^(['"])(.*)\1$/, '$2'))
    .filter((s) => s !== '');
}

const asIds = (list: string[]) => list.map((value) => ({ value, wellFormed: ID.test(value) }));

export const demoPartnerReturn: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(DEMO_PARTNER_RETURN_PATH, { schema: { hide: true } }, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const client = single(q.client);
    const channels = asIds(parseIdList(single(q.channels)));
    const revoked = asIds(parseIdList(single(q.revoked)));
    return renderPage(reply, 'onboarding/partner-return', {
      title: 'Demo partner: onboarding finished',
      styles: ['/assets/onboarding.css'],
      client: client === undefined ? undefined : { value: client, wellFormed: ID.test(client) },
      channels,
      revoked,
      state: single(q.state),
      // For the commands shown: the same variables as the README's examples.
      hub: `${deps.config.publicUrl}/api/v2`,
      waba: deps.config.publicUrl,
      commandChannels: channels.filter((c) => c.wellFormed).map((c) => c.value),
    });
  });
};
