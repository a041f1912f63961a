// A NUL character in a text field is refused the same way on both databases (validate/check.ts
// str()): PostgreSQL cannot store it in text or jsonb, SQLite would, so before this a QR code's
// prefilled_message with NUL was stored on SQLite and refused on PostgreSQL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

describeEachDb('NUL in text fields', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(() => t.close());

  it('a text message body with NUL: 400 naming the field, nothing stored', async () => {
    const res = await t.post('/messages', { headers: channelKey(p.channel_api_key), json: { messaging_product: 'whatsapp', to: '4915112345678', type: 'text', text: { body: 'a\u0000b' } } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.error_data.details).toBe('text.body: must not contain NUL characters');
    const n = await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('channel_id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it("a QR code's prefilled_message with NUL: 400, no code", async () => {
    const res = await t.post('/message_qrdls', { headers: channelKey(p.channel_api_key), json: { prefilled_message: 'hi\u0000there', generate_qr_image: 'SVG' } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.error_data.details).toBe('prefilled_message: must not contain NUL characters');
    const list = await t.get('/message_qrdls', { headers: channelKey(p.channel_api_key) });
    expect(list.body.data).toEqual([]);
  });
});
