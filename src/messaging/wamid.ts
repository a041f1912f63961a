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

/**
 * A message id as the On-Premise API hands them out: `gBEG` + 23 base64url characters, 27 in all
 * (reference §6: `{"messages":[{"id":"gBEG..."}]}`; Meta's On-Premise ids look like
 * `gBEGkYiEB1VXAglK1ZEqA1YKPrU`). URL-safe as they are, for PUT /v1/messages/{id}.
 */
export function newOnPremMessageId(): string {
  const blob = Buffer.allocUnsafe(18);
  fillRandom(blob, 0, 18);
  return 'gBEG' + blob.toString('base64url').slice(0, 23);
}

/**
 * The id of a message on a channel: numbers hosted On-Premise get On-Premise ids (whichever
 * endpoint sent it, as their webhooks are in that API's format too); Cloud numbers get wamids.
 */
export function newMessageId(channel: { hosting_type: string }, waId: string): string {
  return channel.hosting_type === 'onpremise' ? newOnPremMessageId() : newWamid(waId);
}
