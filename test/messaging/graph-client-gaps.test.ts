// Graph calls real clients make that openwaba used to answer with 404 or a wrong 400:
// upsert_message_templates, /{template-id}/unpause and /compare, POST /{phone-number-id} with a
// two-step PIN or a display name, and ?access_token= on a Graph path (never logged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type HttpResponse } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { templateWorld, type TemplateWorld } from './templates-fixtures.ts';

const otp = (languages: string[], minutes = 10) => ({
  name: 'login_code',
  languages,
  category: 'AUTHENTICATION',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: minutes },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
  ],
});

function expectGraph400(res: HttpResponse, details?: string) {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error.code).toBe(100);
  if (details) expect(JSON.stringify(res.body.error)).toContain(details);
}

describeEachDb('Graph calls of real clients', (kind) => {
  let w: TemplateWorld;
  let waba: string;
  let pnid: string;
  const auth = () => bearer(w.p.channel_api_key);

  beforeAll(async () => {
    w = await templateWorld(kind);
    const db = w.t.deps.db.kysely;
    waba = (await db.selectFrom('waba_accounts').select('external_id').where('id', '=', w.p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    pnid = (await db.selectFrom('channels').select('external_id').where('id', '=', w.p.channel_id).executeTakeFirstOrThrow()).external_id!;
  });
  afterAll(() => w.close());

  describe('upsert_message_templates', () => {
    it('creates each language, then updates the same templates', async () => {
      const first = await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: otp(['en_US', 'es_ES']) });
      expect(first.status, first.text).toBe(200);
      expect(first.body.data.map((d: { language: string }) => d.language)).toEqual(['en_US', 'es_ES']);
      expect(first.body.data.every((d: { id: string; status: string }) => /^\d+$/.test(d.id) && d.status === 'PENDING')).toBe(true);
      await w.review();
      const again = await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: otp(['en_US', 'fr'], 15) });
      expect(again.status, again.text).toBe(200);
      expect(again.body.data[0].id).toBe(first.body.data[0].id);
      expect(again.body.data[1].language).toBe('fr');
      const en = await w.t.get(`/v21.0/${first.body.data[0].id}`, { headers: auth() });
      expect(JSON.stringify(en.body.components)).toContain('15');
    });

    it('refuses language, another category, and a button text; nothing is written', async () => {
      expectGraph400(await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: { ...otp([]), languages: undefined, language: 'en_US' } }), 'languages');
      expectGraph400(await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: { ...otp(['de']), category: 'UTILITY' } }), 'AUTHENTICATION');
      const withText = otp(['de', 'it']);
      (withText.components[2] as { buttons: Record<string, unknown>[] }).buttons[0]!.text = 'Copy';
      expectGraph400(await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: withText }), 'text');
      expectGraph400(await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: otp(['de', 'bad-LANG']) }), 'languages[1]');
      const de = await w.t.get('/message_templates', { headers: w.key(), query: { language: 'de', name: 'login_code' } });
      expect(de.body.data).toEqual([]);
    });
  });

  describe('unpause and compare', () => {
    let a: string;
    let b: string;
    beforeAll(async () => {
      const res = await w.t.post(`/v21.0/${waba}/upsert_message_templates`, { headers: auth(), json: { ...otp(['pt_BR', 'nl']), name: 'pause_me' } });
      [a, b] = res.body.data.map((d: { id: string }) => d.id);
      await w.review();
    });

    it('unpauses a PAUSED template (APPROVED, with the status webhook) and refuses any other', async () => {
      await w.t.deps.db.kysely.updateTable('templates').set({ status: 'PAUSED' }).where('id', '=', a).execute();
      const before = w.received('/channel').length;
      const res = await w.t.post(`/v21.0/${a}/unpause`, { headers: auth() });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ success: true });
      expect((await w.t.get(`/v21.0/${a}`, { headers: auth() })).body.status).toBe('APPROVED');
      await expect.poll(() => w.received('/channel').slice(before).map((x) => x.entry?.[0]?.changes?.[0]?.value).find((v) => v?.message_template_id === Number(a))?.event).toBe('APPROVED');
      expectGraph400(await w.t.post(`/v21.0/${a}/unpause`, { headers: auth() }), 'PAUSED');
      const none = await w.t.post('/v21.0/999999999999/unpause', { headers: auth() });
      expect(none.status).toBe(400);
      expect(none.body.error.error_subcode).toBe(33);
    });

    it("compares two templates in Meta's shape", async () => {
      const end = Math.floor(w.clock.now().getTime() / 1000);
      const res = await w.t.get(`/v21.0/${a}/compare`, { headers: auth(), query: { template_ids: `["${b}"]`, start: String(end - 7 * 86_400), end: String(end) } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.map((d: { metric: string }) => d.metric)).toEqual(['BLOCK_RATE', 'MESSAGE_SENDS', 'TOP_BLOCK_REASON']);
      expect(res.body.data[1].number_values).toEqual([{ key: a, value: 0 }, { key: b, value: 0 }]);
      expectGraph400(await w.t.get(`/v21.0/${a}/compare`, { headers: auth(), query: { template_ids: `["${b}"]`, start: String(end - 86_400), end: String(end) } }), '7, 30, 60 or 90');
      expectGraph400(await w.t.get(`/v21.0/${a}/compare`, { headers: auth(), query: { start: String(end - 7 * 86_400), end: String(end) } }));
    });
  });

  describe('POST /{phone-number-id} and registration', () => {
    it('takes a two-step PIN and a display name, refuses a bad PIN and an empty body clearly', async () => {
      for (const json of [{ pin: '123456' }, { messaging_product: 'whatsapp', new_display_name: 'Acme Support' }]) {
        const res = await w.t.post(`/v21.0/${pnid}`, { headers: auth(), json });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toEqual({ success: true });
      }
      expectGraph400(await w.t.post(`/v21.0/${pnid}`, { headers: auth(), json: { pin: '12a456' } }), '6-digit');
      expectGraph400(await w.t.post(`/v21.0/${pnid}`, { headers: auth(), json: { pin: 12345 } }), '6-digit');
      expectGraph400(await w.t.post(`/v21.0/${pnid}`, { headers: auth(), json: {} }), 'pin');
    });

    it('register and deregister answer success', async () => {
      expect((await w.t.post(`/v21.0/${pnid}/register`, { headers: auth(), json: { messaging_product: 'whatsapp', pin: '123456' } })).body).toEqual({ success: true });
      expect((await w.t.post(`/v21.0/${pnid}/deregister`, { headers: auth(), json: {} })).body).toEqual({ success: true });
    });
  });

  describe('access_token in the query string', () => {
    it('authenticates a Graph path, never a root path, and is never logged', async () => {
      const key = w.p.channel_api_key;
      const ok = await w.t.get(`/v21.0/${waba}/message_templates?access_token=${encodeURIComponent(key)}&limit=1`);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.data).toHaveLength(1);
      const wrong = await w.t.get(`/v21.0/${waba}/message_templates?access_token=${encodeURIComponent(key + 'x')}`);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe(190);
      expect((await w.t.get(`/message_templates?access_token=${encodeURIComponent(key)}`)).status).toBe(401);
      const lines = w.t.logs.filter((l) => l.includes('message_templates?access_token='));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l).not.toContain(key);
        expect(l).toContain('access_token=[redacted]');
      }
    });
  });
});
