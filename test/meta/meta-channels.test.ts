// Channels on Meta's Cloud API: credentials sealed at rest, attach/detach, lookup by phone_number_id.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { ApiError } from '../../src/errors.ts';
import { openSecret, sealSecret, SecretBoxError } from '../../src/network/meta/secret-box.ts';
import { attachMetaChannel, channelForPhoneNumberId, detachMetaChannel, metaCredentials } from '../../src/network/meta/channels.ts';

const KEY_HEX = 'a'.repeat(64);
const TOKEN = 'EAAG' + 'x'.repeat(60);

describe('secret box', () => {
  const key = randomBytes(32);
  it('opens what it sealed, with the same key and binding only', () => {
    const sealed = sealSecret(key, TOKEN, 'CH1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(TOKEN);
    expect(openSecret(key, sealed, 'CH1')).toBe(TOKEN);
    expect(() => openSecret(randomBytes(32), sealed, 'CH1')).toThrow(SecretBoxError);
    expect(() => openSecret(key, sealed, 'CH2')).toThrow(SecretBoxError);
    expect(() => openSecret(key, 'v1.a.b', 'CH1')).toThrow(SecretBoxError);
    // A tag cut short (GCM would check only its first bytes) does not open.
    const parts = sealed.split('.');
    const short = [parts[0], parts[1], Buffer.from(parts[2]!, 'base64url').subarray(0, 4).toString('base64url'), parts[3]].join('.');
    expect(() => openSecret(key, short, 'CH1')).toThrow(SecretBoxError);
    const [v, iv, tag, ct] = sealed.split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => openSecret(key, [v, iv, tag, flipped.toString('base64url')].join('.'), 'CH1')).toThrow(SecretBoxError);
  });
  it('seals the same secret differently each time', () => {
    expect(sealSecret(key, TOKEN, 'CH1')).not.toBe(sealSecret(key, TOKEN, 'CH1'));
  });
});

describe('OPENWABA_SECRET_KEY', () => {
  it('takes 64 hex digits or base64 of 32 bytes, and refuses anything else', () => {
    expect(loadConfig({ OPENWABA_SECRET_KEY: KEY_HEX }).secretKey?.length).toBe(32);
    expect(loadConfig({ OPENWABA_SECRET_KEY: randomBytes(32).toString('base64') }).secretKey?.length).toBe(32);
    expect(loadConfig({ OPENWABA_SECRET_KEY: randomBytes(32).toString('base64url') }).secretKey?.length).toBe(32);
    expect(loadConfig({}).secretKey).toBeUndefined();
    for (const bad of ['abc', 'a'.repeat(63), randomBytes(16).toString('base64'), 'z'.repeat(64)]) {
      expect(() => loadConfig({ OPENWABA_SECRET_KEY: bad })).toThrow(/OPENWABA_SECRET_KEY/);
    }
  });
  it('checks the Graph API settings', () => {
    const c = loadConfig({});
    expect(c.metaGraphUrl).toBe('https://graph.facebook.com');
    expect(c.metaGraphVersion).toMatch(/^v\d+\.\d+$/);
    expect(() => loadConfig({ OPENWABA_META_GRAPH_VERSION: '23' })).toThrow(/v23\.0/);
    expect(() => loadConfig({ OPENWABA_META_GRAPH_URL: 'ftp://x' })).toThrow(/OPENWABA_META_GRAPH_URL/);
    expect(() => loadConfig({ OPENWABA_META_APP_SECRET: 'short' })).toThrow(/OPENWABA_META_APP_SECRET/);
    for (const bad of ['https://graph.example/?x=1', 'https://graph.example/#f', 'https://user:pw@graph.example']) {
      expect(() => loadConfig({ OPENWABA_META_GRAPH_URL: bad })).toThrow(/without credentials, query or fragment/);
    }
    expect(() => loadConfig({ NODE_ENV: 'production', OPENWABA_META_GRAPH_URL: 'http://graph.example' })).toThrow(/must be https/);
    expect(loadConfig({ OPENWABA_META_GRAPH_URL: 'http://127.0.0.1:9/' }).metaGraphUrl).toBe('http://127.0.0.1:9');
  });
});

describeEachDb('meta channels', (kind) => {
  let t: TestApp;
  let noKey: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: KEY_HEX } });
    noKey = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
    await noKey?.close();
  });

  it('attaches a channel: network meta, external_id = phone_number_id, token sealed in the row', async () => {
    const a = await t.tenant();
    const ch = await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: '106540352242922', wabaId: '102290129340398', accessToken: TOKEN });
    expect(ch).toMatchObject({ network: 'meta', account_mode: 'live', external_id: '106540352242922' });
    const row = await t.deps.db.kysely.selectFrom('meta_channels').selectAll().where('channel_id', '=', a.channel_id).executeTakeFirstOrThrow();
    expect(row.access_token_sealed).not.toContain(TOKEN);
    expect(await metaCredentials(t.deps, a.channel_id)).toEqual({ phoneNumberId: '106540352242922', wabaId: '102290129340398', accessToken: TOKEN });
    expect((await channelForPhoneNumberId(t.deps, '106540352242922'))?.id).toBe(a.channel_id);
    // Replacing the credentials keeps one row.
    await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: '106540352242923', wabaId: '102290129340398', accessToken: TOKEN + 'y' });
    expect(await channelForPhoneNumberId(t.deps, '106540352242922')).toBeUndefined();
    expect((await metaCredentials(t.deps, a.channel_id))?.accessToken).toBe(TOKEN + 'y');
    // Detached: back in the sandbox, token gone.
    const back = await detachMetaChannel(t.deps, a.channel_id);
    expect(back).toMatchObject({ network: 'sandbox', account_mode: 'sandbox' });
    expect(back.external_id).not.toBe('106540352242923');
    expect(await metaCredentials(t.deps, a.channel_id)).toBeUndefined();
    expect(await channelForPhoneNumberId(t.deps, '106540352242923')).toBeUndefined();
  });

  it('refuses a phone_number_id already attached elsewhere, bad ids and tokens, unknown channels', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: '200000000000001', wabaId: '300000000000001', accessToken: TOKEN });
    const refused = async (p: Promise<unknown>, status: number, msg: RegExp) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(status);
      expect((err as ApiError).message).toMatch(msg);
    };
    await refused(attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: '200000000000001', wabaId: '300000000000001', accessToken: TOKEN }), 409, /already attached/);
    await refused(attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: '12ab', wabaId: '300000000000001', accessToken: TOKEN }), 400, /phone_number_id/);
    await refused(attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: '200000000000002', wabaId: 'x', accessToken: TOKEN }), 400, /waba_id/);
    await refused(attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: '200000000000002', wabaId: '300000000000001', accessToken: 'has space inside it' }), 400, /access_token/);
    await refused(attachMetaChannel(t.deps, 'nope', { phoneNumberId: '200000000000002', wabaId: '300000000000001', accessToken: TOKEN }), 404, /not found/);
    await refused(detachMetaChannel(t.deps, b.channel_id), 404, /not on Meta/);
  });

  it('two channels attaching the same number at once: one wins, the other gets 409', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    const input = { phoneNumberId: '500000000000001', wabaId: '300000000000001', accessToken: TOKEN };
    const outcomes = await Promise.allSettled([attachMetaChannel(t.deps, a.channel_id, input), attachMetaChannel(t.deps, b.channel_id, input)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as ApiError).status).toBe(409);
    expect(await t.deps.db.kysely.selectFrom('meta_channels').select('channel_id').where('phone_number_id', '=', '500000000000001').execute()).toHaveLength(1);
  });

  it('without OPENWABA_SECRET_KEY nothing can be attached', async () => {
    const a = await noKey.tenant();
    const err = await attachMetaChannel(noKey.deps, a.channel_id, { phoneNumberId: '400000000000001', wabaId: '300000000000001', accessToken: TOKEN }).catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).message).toMatch(/OPENWABA_SECRET_KEY/);
    expect(await noKey.deps.db.kysely.selectFrom('meta_channels').selectAll().execute()).toEqual([]);
  });
});
