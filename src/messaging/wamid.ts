// Message ids look like Meta's: `wamid.` + base64 of an opaque binary blob.
import { randomBytes } from 'node:crypto';

export function newWamid(waId: string): string {
  // Meta's blob starts with the recipient's number; ours does too, then 16 random bytes.
  const head = Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, waId.length]);
  return 'wamid.HBgL' + Buffer.concat([head, Buffer.from(waId, 'ascii'), randomBytes(16)]).toString('base64');
}

/** A wamid as clients may send it back: `wamid.` and base64 characters, bounded length. */
export function looksLikeWamid(id: string): boolean {
  return /^wamid\.[A-Za-z0-9+/=_-]{8,200}$/.test(id);
}
