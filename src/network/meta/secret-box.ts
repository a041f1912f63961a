// Third-party secrets that openwaba must be able to send on (a Meta access token) cannot be kept
// as hashes like our own keys: they are sealed with AES-256-GCM under OPENWABA_SECRET_KEY and
// opened only to make a request. Format: `v1.<iv>.<tag>.<ciphertext>` (base64url), so a key or
// algorithm change later can tell old seals apart. The channel id is bound in as associated
// data: a sealed token copied onto another channel's row does not open there.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class SecretBoxError extends Error {}

export function sealSecret(key: Buffer, plaintext: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Opens a seal made by sealSecret with the same key and binding; throws SecretBoxError otherwise. */
export function openSecret(key: Buffer, sealed: string, boundTo: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') throw new SecretBoxError('not a sealed secret');
  const [, ivText, tagText, ct] = parts as [string, string, string, string];
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  // The lengths sealSecret writes, and no other: GCM would accept a tag cut to 4 bytes (forgeable).
  if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError('not a sealed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // Wrong key (OPENWABA_SECRET_KEY changed), wrong binding, or a damaged seal.
    throw new SecretBoxError('the sealed secret does not open with this OPENWABA_SECRET_KEY');
  }
}
