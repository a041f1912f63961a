// The encryption of a WhatsApp Flow's data exchange, as WhatsApp does it (Meta's "Implementing
// Endpoint for Flows", and the reference endpoint's encryption.js in WhatsApp-Flows-Tools):
//
//   request   a fresh 128-bit AES key and a 16-byte IV per request; the body is JSON
//             {"encrypted_flow_data": base64(AES-128-GCM(payload) || 16-byte tag),
//              "encrypted_aes_key":   base64(RSA-OAEP, SHA-256, of the AES key under the number's
//                                     business public key),
//              "initial_vector":      base64(IV)}
//   response  the body is base64(AES-128-GCM(JSON) || tag) under the same AES key, with the IV's
//             every byte flipped (XOR 0xFF).
//
// What the endpoint answered is untrusted: decryptFlowResponse never throws, and says precisely
// what is wrong with an answer that does not decrypt (the developer reads it on the sandbox phone).
import { constants, createCipheriv, createDecipheriv, publicEncrypt, randomBytes } from 'node:crypto';

const TAG_BYTES = 16;
const IV_BYTES = 16;
const KEY_BYTES = 16;

export interface EncryptedFlowRequest {
  /** The JSON body to POST. */
  body: string;
  /** The request's AES key and IV, to read the answer with. */
  key: Buffer;
  iv: Buffer;
}

/** The IV of the answer: every byte of the request's IV flipped. */
export function flipIv(iv: Buffer): Buffer {
  const out = Buffer.alloc(iv.length);
  for (let i = 0; i < iv.length; i++) out[i] = iv[i]! ^ 0xff;
  return out;
}

/** The request body for `payload` (already JSON text), encrypted for the holder of `publicKeyPem`. */
export function encryptFlowRequest(payloadJson: string, publicKeyPem: string): EncryptedFlowRequest {
  const key = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-128-gcm', key, iv);
  const data = Buffer.concat([cipher.update(payloadJson, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrappedKey = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
  const body = JSON.stringify({
    encrypted_flow_data: data.toString('base64'),
    encrypted_aes_key: wrappedKey.toString('base64'),
    initial_vector: iv.toString('base64'),
  });
  return { body, key, iv };
}

export type DecryptedAnswer = { ok: true; plaintext: string } | { ok: false; why: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function open(data: Buffer, key: Buffer, iv: Buffer): string | undefined {
  try {
    const d = createDecipheriv('aes-128-gcm', key, iv);
    d.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([d.update(data.subarray(0, data.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The answer's JSON text, or why the body is not WhatsApp's encrypted answer. */
export function decryptFlowResponse(body: string, key: Buffer, iv: Buffer): DecryptedAnswer {
  const text = body.trim();
  if (text === '') return { ok: false, why: 'the response body is empty; it must be the base64 text of the encrypted JSON response' };
  if (text.startsWith('{') || text.startsWith('[')) {
    return { ok: false, why: 'the response is plain JSON, not encrypted: WhatsApp needs base64(AES-128-GCM(JSON) || tag) under the request\'s AES key with the flipped IV' };
  }
  if (text.startsWith('"')) {
    return { ok: false, why: 'the response is a JSON string (in quotes); send the base64 text itself as the body (text/plain), not JSON-encoded' };
  }
  const compact = text.replace(/[\r\n]/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    const hint = /^[A-Za-z0-9_-]+$/.test(compact) ? ' (it looks like base64url; use standard base64 with + and /)' : '';
    return { ok: false, why: `the response is not base64${hint}: it must be base64(AES-128-GCM ciphertext || 16-byte tag)` };
  }
  const data = Buffer.from(compact, 'base64');
  if (data.length <= TAG_BYTES) return { ok: false, why: `the response decodes to ${data.length} bytes: too short for AES-128-GCM ciphertext followed by its 16-byte tag` };
  const plain = open(data, key, flipIv(iv));
  if (plain !== undefined) return { ok: true, plaintext: plain };
  if (open(data, key, iv) !== undefined) {
    return { ok: false, why: "the response was encrypted with the request's IV as it came; WhatsApp reads the response with the IV flipped (every byte XOR 0xFF)" };
  }
  return {
    ok: false,
    why: "the response was not base64 of AES-128-GCM with the flipped IV: it does not decrypt under the request's AES key with the request's IV flipped (every byte XOR 0xFF), the 16-byte tag appended to the ciphertext",
  };
}
