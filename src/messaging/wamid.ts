// Message ids look like Meta's: `wamid.` + base64 of an opaque binary blob.
import { randomBytesPooled } from '../ids.ts';

/**
 * Meta's blob starts with the recipient's number; ours does too, then 16 random bytes. Ids are
 * used in URL paths (PUT /messages/{id}) that clients do not escape, so we only hand out ids whose
 * base64 has no `/` or `+` (redrawing the random part; the fixed part never produces them).
 */
export function newWamid(waId: string): string {
  const head = Buffer.concat([Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, waId.length]), Buffer.from(waId, 'ascii')]);
  for (let i = 0; i < 64; i++) {
    const id = 'wamid.HBgL' + Buffer.concat([head, randomBytesPooled(16)]).toString('base64');
    if (!/[/+]/.test(id)) return id;
  }
  // Practically unreachable (each draw succeeds with probability ~(62/64)^22); stay URL-safe anyway.
  return 'wamid.HBgL' + Buffer.concat([head, randomBytesPooled(16)]).toString('base64url');
}
