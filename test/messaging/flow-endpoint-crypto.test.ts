// WhatsApp Flows' encryption, checked against Meta's reference endpoint code (written out in
// test/helpers/flow-endpoint.ts from Meta's docs, not from openwaba): a request openwaba encrypts
// is read by the reference decryption, an answer the reference encrypts is read by openwaba, and
// an answer made wrong in each of the usual ways is refused with a sentence naming that fault.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptFlowResponse, encryptFlowRequest, flipIv } from '../../src/messaging/flows/endpoint-crypto.ts';
import { parseAnswer, signBody } from '../../src/messaging/flows/endpoint-exchange.ts';
import { decryptRequest, encryptResponse } from '../helpers/flow-endpoint.ts';

const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const payload = { version: '3.0', action: 'data_exchange', screen: 'PICK', data: { slot: 'mon', note: 'ünïcødé ✓' }, flow_token: 'T-1' };

describe('WhatsApp Flows endpoint encryption (wire compatibility with Meta\'s reference endpoint)', () => {
  it('a request body has exactly the three base64 fields, and the reference endpoint decrypts it', () => {
    const req = encryptFlowRequest(JSON.stringify(payload), publicPem);
    const body = JSON.parse(req.body) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['encrypted_aes_key', 'encrypted_flow_data', 'initial_vector']);
    for (const v of Object.values(body)) expect(v).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(body.initial_vector!, 'base64')).toHaveLength(16);
    // RSA-2048 wraps the key in 256 bytes; the data is the ciphertext (as long as the text) and a 16-byte tag.
    expect(Buffer.from(body.encrypted_aes_key!, 'base64')).toHaveLength(256);
    expect(Buffer.from(body.encrypted_flow_data!, 'base64')).toHaveLength(Buffer.byteLength(JSON.stringify(payload)) + 16);
    const d = decryptRequest(body, pair.privateKey);
    expect(d.decrypted).toEqual(payload);
    expect(d.aesKey).toHaveLength(16);
    expect(d.aesKey.equals(req.key)).toBe(true);
    expect(d.iv.equals(req.iv)).toBe(true);
  });

  it('every request has a fresh AES key and IV', () => {
    const a = encryptFlowRequest('{}', publicPem);
    const b = encryptFlowRequest('{}', publicPem);
    expect(a.key.equals(b.key)).toBe(false);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(JSON.parse(a.body).encrypted_flow_data).not.toBe(JSON.parse(b.body).encrypted_flow_data);
  });

  it("reads the reference endpoint's answer: AES-128-GCM under the request's key, the IV flipped, the tag appended", () => {
    const req = encryptFlowRequest(JSON.stringify(payload), publicPem);
    const answer = { screen: 'DETAILS', data: { label: 'Monday 10:00 ✓' } };
    const out = decryptFlowResponse(encryptResponse(answer, req.key, req.iv), req.key, req.iv);
    expect(out).toEqual({ ok: true, plaintext: JSON.stringify(answer) });
    // Line breaks in the base64 (as some encoders wrap it) are no fault.
    const wrapped = encryptResponse(answer, req.key, req.iv).replace(/(.{20})/g, '$1\n');
    expect(decryptFlowResponse(wrapped, req.key, req.iv).ok).toBe(true);
    expect(flipIv(Buffer.from([0x00, 0xff, 0x0f, 0xa5]))).toEqual(Buffer.from([0xff, 0x00, 0xf0, 0x5a]));
  });

  it.each([
    ['an empty body', () => '', 'the response body is empty'],
    ['plain JSON', () => '{"screen":"X","data":{}}', 'the response is plain JSON, not encrypted'],
    ['a JSON-encoded string', (b64: string) => JSON.stringify(b64), 'the response is a JSON string (in quotes)'],
    ['base64url', (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') + '-_', 'it looks like base64url'],
    ['not base64 at all', () => 'this is not base64!', 'the response is not base64'],
    ['too short', () => Buffer.alloc(10).toString('base64'), 'too short for AES-128-GCM ciphertext followed by its 16-byte tag'],
    ['random bytes', () => crypto.randomBytes(64).toString('base64'), 'the response was not base64 of AES-128-GCM with the flipped IV'],
  ])('refuses %s, naming the fault', (_label, make, why) => {
    const req = encryptFlowRequest('{}', publicPem);
    const out = decryptFlowResponse(make(encryptResponse({ a: 1 }, req.key, req.iv)), req.key, req.iv);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.why).toContain(why);
  });

  it('an answer encrypted with the IV as it came (not flipped) is named as such', () => {
    const req = encryptFlowRequest('{}', publicPem);
    const out = decryptFlowResponse(encryptResponse({ a: 1 }, req.key, req.iv, false), req.key, req.iv);
    expect(out).toEqual({ ok: false, why: expect.stringContaining("encrypted with the request's IV as it came") });
  });

  it('an answer under another AES key does not decrypt', () => {
    const req = encryptFlowRequest('{}', publicPem);
    const other = encryptFlowRequest('{}', publicPem);
    const out = decryptFlowResponse(encryptResponse({ a: 1 }, other.key, req.iv), req.key, req.iv);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.why).toContain('does not decrypt under the request\'s AES key');
  });

  it('the decrypted answer must be a JSON object of bounded depth', () => {
    expect(parseAnswer('{"screen":"A"}')).toEqual({ ok: true, value: { screen: 'A' } });
    expect(parseAnswer('not json')).toEqual({ ok: false, why: expect.stringContaining('the plaintext is not JSON') });
    expect(parseAnswer('[1,2]')).toEqual({ ok: false, why: expect.stringContaining('is not a JSON object') });
    expect(parseAnswer('"x"')).toEqual({ ok: false, why: expect.stringContaining('is not a JSON object') });
    expect(parseAnswer(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`)).toEqual({ ok: false, why: expect.stringContaining('deeper than 64 levels') });
  });

  it('X-Hub-Signature-256 is sha256= and the hex HMAC-SHA256 of the raw body', () => {
    const body = '{"encrypted_flow_data":"x"}';
    expect(signBody('app-secret-0123456789', body)).toBe(`sha256=${crypto.createHmac('sha256', 'app-secret-0123456789').update(body).digest('hex')}`);
  });
});
