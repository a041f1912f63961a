// What the real-client replays (test/messaging/client-*.test.ts, test/partner-client-kairon.test.ts)
// start: the app with its webhook dispatcher, sandbox statuses and template reviews fast enough
// for a client's whole conversation to play out within a test.
import type { DbKind } from './db.ts';
import { startTestApp, type TestApp } from './app.ts';
import { Receiver } from './receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { userWrites } from '../messaging/media-fixtures.ts';

export const REPLAY_ENV = { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms', OPENWABA_TEMPLATE_REVIEW_DELAY: '50ms' };

export function startReplayApp(kind: DbKind, env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp(kind, { dispatcher: true, env: { ...REPLAY_ENV, ...env } });
}

/** What a replay of a Cloud client starts with: the app, a tenant, its webhook, a user who wrote first. */
export interface ReplayConversation {
  t: TestApp;
  p: BootstrapResult;
  receiver: Receiver;
  /** The channel's phone-number id (external_id), as the client's Graph paths name it. */
  phoneId: string;
  /** The id of the user's first message (the 24-hour window is open; replies can quote it). */
  inboundId: string;
}

/**
 * Starts a replay app with a tenant whose channel's webhook (`/v1/configs/webhook`) points at a
 * new receiver, and makes `first.from` write to it first.
 */
export async function startReplayConversation(kind: DbKind, first: { from: string; name: string; text: string }): Promise<ReplayConversation> {
  const receiver = await new Receiver().start();
  const t = await startReplayApp(kind);
  const p = await t.tenant();
  const phoneId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
  const hook = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: `${receiver.url}/` } });
  if (hook.status !== 200) throw new Error(`webhook config: ${hook.status} ${hook.text}`);
  const inboundId = await userWrites(t, p.channel_api_key, { from: first.from, name: first.name, type: 'text', text: { body: first.text } });
  return { t, p, receiver, phoneId, inboundId };
}

/** A stored message of the channel: its type, status, quoted id, and the content of its type's object. */
export async function storedMessage(t: TestApp, channelId: string, id: string) {
  const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'context_id', 'status']).where('channel_id', '=', channelId).where('id', '=', id).executeTakeFirstOrThrow();
  return { ...row, content: (JSON.parse(row.content) as Record<string, unknown>)[row.type] as Record<string, unknown> };
}

/**
 * The adaptation a 360dialog user makes to a client written for Meta's Cloud API, as its fetch:
 *   https://graph.facebook.com/<version>/<phoneID>/<edge…> → <openwaba>/<edge…>
 *   https://graph.facebook.com/<version>/<mediaId>        → <openwaba>/<mediaId>
 * (the version and phone number id prefix dropped, the query kept: reference §4), and
 * `Authorization: Bearer <key>` sent as `D360-API-KEY: <key>`. Nothing else.
 */
export function to360(openwaba: string): typeof fetch {
  return (input, init) => {
    let url = input instanceof Request ? input.url : String(input);
    const graph = /^https:\/\/graph\.facebook\.com\/v[\d.]+\/([^?]*)(\?.*)?$/.exec(url);
    if (graph) {
      const segments = graph[1]!.split('/');
      // {phoneID}/messages and {phoneID}/media lose the number's id; a bare {mediaId} stays.
      url = `${openwaba}/${(segments.length > 1 ? segments.slice(1) : segments).join('/')}${graph[2] ?? ''}`;
    }
    const headers = new Headers(init?.headers);
    const auth = headers.get('authorization');
    if (auth?.startsWith('Bearer ')) {
      headers.delete('authorization');
      headers.set('D360-API-KEY', auth.slice('Bearer '.length));
    }
    return fetch(url, { ...init, headers });
  };
}
