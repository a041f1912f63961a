// Message ids look like Meta's: `wamid.` + base64 of an opaque binary blob.
import { fillRandom } from '../ids.ts';

/**
 * Meta's blob starts with the recipient's number; ours does too, then 16 random bytes. Ids are
 * used in URL paths (PUT /messages/{id}) that clients do not escape, so we only hand out ids whose
 * base64 has no `/` or `+` (redrawing the random part; the fixed part never produces them).
 */
export function newWamid(waId: string): string {
  // One buffer: the fixed head, the number, then the random part (redrawn in place).
  const head = 6 + waId.length;
  const blob = Buffer.allocUnsafe(head + 16);
  blob[0] = 0x15;
  blob[1] = 0x02;
  blob[2] = 0x00;
  blob[3] = 0x11;
  blob[4] = 0x18;
  blob[5] = waId.length;
  blob.write(waId, 6, 'latin1');
  for (let i = 0; i < 64; i++) {
    fillRandom(blob, head, 16);
    const id = 'wamid.HBgL' + blob.toString('base64');
    if (!id.includes('/') && !id.includes('+')) return id;
  }
  // Practically unreachable (each draw succeeds with probability ~(62/64)^22); stay URL-safe anyway.
  return 'wamid.HBgL' + blob.toString('base64url');
}
