// A contacts message is stored as the message shows it, `{type: "contacts", contacts: [...]}`,
// whichever way it came: sent by the business or written by a sandbox user. (Sends used to store
// `contacts: {contacts: [...]}`, which the sandbox phone could not show.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { bubbleOf } from '../../src/web/phone/bubbles.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const card = { name: { formatted_name: 'Ann Smith', first_name: 'Ann' }, phones: [{ phone: '+49 151 1234567', type: 'CELL' }] };

describeEachDb('stored contacts messages', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(() => t.close());

  it('outbound and inbound contacts are stored as an array under `contacts`', async () => {
    const user = '4915550009001';
    const inbound = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: user, type: 'contacts', contacts: [card] } });
    expect(inbound.status).toBe(200);
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: user, type: 'contacts', contacts: [card] } });
    expect(sent.status).toBe(200);

    const list = await t.get(`/sandbox/v1/messages?wa_id=${user}`, { headers: key() });
    expect(list.status).toBe(200);
    const byDirection = Object.fromEntries(list.body.messages.map((m: { direction: string; content: unknown }) => [m.direction, m.content]));
    expect(byDirection.inbound).toEqual({ type: 'contacts', contacts: [card] });
    expect(byDirection.outbound).toEqual({ type: 'contacts', contacts: [card] });

    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', sent.body.messages[0].id).executeTakeFirstOrThrow();
    expect(bubbleOf(row).text).toBe('Contact: Ann Smith (+49 151 1234567)');
  });
});
