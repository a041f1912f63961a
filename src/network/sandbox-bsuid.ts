// A sandbox send to a BSUID (Cloud `recipient`): back to the simulated user's number. A sandbox
// BSUID is a one-way digest of partner and number (bsuid.ts), so it is found by computing the
// BSUIDs of the partner's simulated users (of all its sandbox numbers: a BSUID belongs to the
// business, not one number) and comparing. One HMAC per user, about a microsecond each: a
// partner with 100 000 users costs some 0.1 s per such send, acceptable for a sandbox. A BSUID of
// a number no channel of the partner has seen is not found (it cannot be reversed): the send then
// fails as Meta fails an undeliverable recipient (sandbox.ts, ERRORS.unknownBsuid).
import type { Executor } from '../db/index.ts';
import { countryOf, sandboxBsuidDigits } from './bsuid.ts';

export async function sandboxNumberOf(tx: Executor, secretKey: Buffer | undefined, partnerId: string, bsuid: string): Promise<string | undefined> {
  const country = bsuid.slice(0, 2);
  const digits = bsuid.slice(3);
  const rows = await tx
    .selectFrom('sandbox_users')
    .innerJoin('channels', 'channels.id', 'sandbox_users.channel_id')
    .select('sandbox_users.wa_id')
    .distinct()
    .where('channels.partner_id', '=', partnerId)
    .where('channels.network', '=', 'sandbox')
    .execute();
  for (const { wa_id } of rows) {
    if (/^\d+$/.test(wa_id) && sandboxBsuidDigits(secretKey, partnerId, wa_id) === digits && countryOf(wa_id) === country) return wa_id;
  }
  return undefined;
}
