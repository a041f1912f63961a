// What the hostile-input storm (hostile-input.test.ts) found in the endpoints profiled fourth: the
// template migration and the authentication previews.
//
// Whole numbers in the query (page_number, count, code_expiration_minutes) were read with
// Number(): "0x10" was taken as 16 and "1e1" as 10, a 200 for what Graph refuses as not an
// integer. Only decimal digits (blanks around them allowed) are numbers now; the rest is Graph's 400.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxPhoneNumber } from '../../src/services/bootstrap.ts';
import { createWabaAccount } from '../../src/services/waba-accounts.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';

describeEachDb('hostile-input regressions: whole numbers in the template migration and previews queries', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  /** Meta's id of a second WABA of the partner, with an APPROVED template besides hello_world. */
  let sourceWaba: string;
  const key = () => channelKey(p.channel_api_key);
  const templateNames = async () =>
    (await t.deps.db.kysely.selectFrom('templates').select('name').where('waba_account_id', '=', p.waba_account_id).execute()).map((r) => r.name).sort();

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    // The source: another WABA of the same client (a channel key migrates only within its client).
    const wabaAccountId = (await createWabaAccount(t.deps, { partnerId: p.partner_id, clientId: p.client_id, name: 'source' })).id;
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, wabaAccountId, phoneNumber: sandboxPhoneNumber(), phoneName: 'source', status: 'ready' });
    const sourceKey = (await createChannelApiKey(t.deps, ch)).api_key;
    const made = await t.post('/message_templates', {
      headers: channelKey(sourceKey),
      json: { name: 'otp_copy', category: 'AUTHENTICATION', language: 'en_US', library_template_name: 'verification_code_copy' },
    });
    expect(made.status, made.text).toBe(200);
    expect(made.body.status).toBe('APPROVED');
    sourceWaba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirstOrThrow()).external_id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectGraph400 = (res: { status: number; body: any; text: string }, field: string) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
    expect(res.body.error.message).toMatch(/^\(#100\) /);
    expect(res.body.error.error_data.details).toMatch(new RegExp(`^${field}: must be a whole number`));
  };

  it('POST /migrate_message_templates: page_number or count in hex, exponent or decimal-point form is a 400, and nothing is copied', async () => {
    const before = await templateNames();
    for (const [field, value] of [
      ['page_number', '0x10'],
      ['page_number', '0x0'],
      ['page_number', '0e0'],
      ['count', '1e1'],
      ['count', '0x10'],
      ['count', '10.0'],
    ] as const) {
      expectGraph400(await t.post('/migrate_message_templates', { headers: key(), query: { [field]: value }, json: { source_waba_id: sourceWaba } }), field);
    }
    // In the body, a string too (Graph clients send form values as strings).
    expectGraph400(await t.post('/migrate_message_templates', { headers: key(), json: { source_waba_id: sourceWaba, page_number: '0x0' } }), 'page_number');
    expect(await templateNames()).toEqual(before);
    // Decimal digits, blanks around them, are still numbers: the template is copied.
    const ok = await t.post('/migrate_message_templates', { headers: key(), query: { page_number: ' 0 ', count: '10' }, json: { source_waba_id: sourceWaba } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.migrated_templates).toHaveLength(1);
    expect(await templateNames()).toEqual([...before, 'otp_copy'].sort());
  });

  for (const path of ['/message_template_previews', '/message_templates/previews']) {
    it(`GET ${path}: code_expiration_minutes in hex, exponent or decimal-point form is a 400; decimal digits are minutes`, async () => {
      for (const value of ['0x10', '0x5A', '1e1', '10.0']) {
        expectGraph400(await t.get(path, { headers: key(), query: { category: 'AUTHENTICATION', languages: 'en_US', code_expiration_minutes: value } }), 'code_expiration_minutes');
      }
      const ok = await t.get(path, { headers: key(), query: { category: 'AUTHENTICATION', languages: 'en_US', code_expiration_minutes: ' 16 ' } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.data).toEqual([{ body: '*{{1}}* is your verification code.', footer: 'This code expires in 16 minutes.', language: 'en_US' }]);
    });
  }
});
