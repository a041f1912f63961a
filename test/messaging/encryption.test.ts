// POST/GET /whatsapp_business_encryption: a number's business public key for WhatsApp Flows, set
// as a form field (form-encoded as in Meta's docs, multipart as 360's clients send it, or JSON),
// checked with node:crypto (a 2048-bit RSA public key in PEM; never a private key), read back in
// Meta's shape. Each number has its own; refusals are Cloud API errors naming the field.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';

const PATH = '/whatsapp_business_encryption';

describeEachDb('Messaging API: the business public key for Flows', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let rsa: { publicPem: string; pkcs1Pem: string; privatePem: string };
  let otherPublicPem: string;
  let smallPem: string;
  let ecPem: string;

  const key = (who = p) => channelKey(who.channel_api_key);
  const postForm = (value: string, who = p) =>
    t.post(PATH, { headers: { ...key(who), 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams({ business_public_key: value }).toString() });
  const read = async (who = p) => {
    const res = await t.get(PATH, { headers: key(who) });
    expect(res.status).toBe(200);
    return res.body;
  };
  const multipart = async (fd: FormData, who = p) => {
    const res = await fetch(`${t.baseUrl}${PATH}`, { method: 'POST', body: fd, headers: key(who) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const expectRefused = (res: { status: number; body: any }, detail: string | RegExp, status = 400) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    if (typeof detail === 'string') expect(res.body.error.error_data.details).toContain(detail);
    else expect(res.body.error.error_data.details).toMatch(detail);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    rsa = {
      publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      pkcs1Pem: pair.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    otherPublicPem = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    smallPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  });
  afterAll(() => t.close());

  it('a number without a key reads an empty list; a form-encoded key is kept and read back as VALID', async () => {
    expect(await read()).toEqual({ data: [] });
    const res = await postForm(rsa.publicPem);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await read()).toEqual({ data: [{ business_public_key: rsa.publicPem.trim(), business_public_key_signature_status: 'VALID' }] });
    // Each number has its own.
    expect(await read(other)).toEqual({ data: [] });
  });

  it('multipart (a field, or the PEM file itself) and JSON are taken too; a new key replaces the old', async () => {
    const field = new FormData();
    field.append('business_public_key', otherPublicPem);
    expect(await multipart(field, other)).toEqual({ status: 200, body: { success: true } });
    expect((await read(other)).data[0].business_public_key).toBe(otherPublicPem.trim());

    const file = new FormData();
    file.append('note', 'ignored');
    file.append('business_public_key', new Blob([rsa.pkcs1Pem], { type: 'application/x-pem-file' }), 'public.pem');
    expect(await multipart(file, other)).toEqual({ status: 200, body: { success: true } });
    expect((await read(other)).data).toEqual([{ business_public_key: rsa.pkcs1Pem.trim(), business_public_key_signature_status: 'VALID' }]);

    // A PEM escaped once too often ("\n" as two characters) is read as the line breaks meant.
    const escaped = rsa.publicPem.trim().replace(/\n/g, '\\n');
    const json = await t.post(PATH, { headers: key(other), json: { business_public_key: escaped } });
    expect(json.status, json.text).toBe(200);
    expect((await read(other)).data[0].business_public_key).toBe(rsa.publicPem.trim());
    // The first number's key did not move.
    expect((await read()).data[0].business_public_key).toBe(rsa.publicPem.trim());
  });

  it('what is not a 2048-bit RSA public key in PEM is refused, and the kept key stays', async () => {
    const before = await read();
    expectRefused(await postForm(rsa.privatePem), 'this is a private key');
    expectRefused(await postForm(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), 'private key');
    expectRefused(await postForm(smallPem), 'at least 2048 bits (got 1024)');
    expectRefused(await postForm(ecPem), 'must be an RSA key (got ec)');
    expectRefused(await postForm('hello'), 'must be a PEM public key');
    expectRefused(await postForm('-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----'), 'not a readable public key');
    expectRefused(await postForm(`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(9000)}\n-----END PUBLIC KEY-----`), 'at most 8192 characters');
    expectRefused(await t.post(PATH, { headers: key(), json: {} }), 'business_public_key: is required');
    expectRefused(await t.post(PATH, { headers: key(), json: { business_public_key: ['x'] } }), 'must be a string');
    expectRefused(await t.post(PATH, { headers: key(), json: [rsa.publicPem] }), 'body: must be a form');
    expectRefused(await t.post(PATH, { headers: key() }), 'is required');
    const twoFiles = new FormData();
    twoFiles.append('business_public_key', new Blob([rsa.publicPem]), 'a.pem');
    twoFiles.append('business_public_key', new Blob([rsa.publicPem]), 'b.pem');
    expectRefused(await multipart(twoFiles), 'file: upload one file per request');
    const bigFile = new FormData();
    bigFile.append('business_public_key', new Blob([`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(9000)}\n-----END PUBLIC KEY-----`]), 'big.pem');
    expectRefused(await multipart(bigFile), 'at most 8192 characters');
    const broken = await t.post(PATH, { headers: { ...key(), 'content-type': 'multipart/form-data; boundary=xyz' }, raw: '--xyz\r\nContent-Disposition: form-data; name="business_public_key"\r\n\r\n-----BEGIN' });
    expectRefused(broken, /malformed form|is required/);
    expect(await read()).toEqual(before);
  });

  it('a body far over the limit is a 413, an unknown content type a 415, a wrong key a 401 in 360’s body', async () => {
    const huge = await postForm('x'.repeat(100_000));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBeTypeOf('number');
    // A multipart form is read as a stream: an announced oversized one is refused before reading,
    // also when the big part is not the key (it was drained whole before).
    const bigForm = new FormData();
    bigForm.set('other', new Blob([Buffer.alloc(200_000, 0x61)]), 'other.bin');
    bigForm.set('business_public_key', rsa.publicPem);
    const bigMultipart = await multipart(bigForm);
    expect(bigMultipart.status).toBe(413);
    expect(bigMultipart.body.error.code).toBeTypeOf('number');
    const xml = await t.post(PATH, { headers: { ...key(), 'content-type': 'application/xml' }, raw: '<key/>' });
    expect(xml.status).toBe(415);
    expect(xml.body.error).toBeDefined();
    const bad = await t.get(PATH, { headers: channelKey('wrong') });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
    expect((await t.post(PATH, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: 'business_public_key=x' })).status).toBe(401);
  });
});
