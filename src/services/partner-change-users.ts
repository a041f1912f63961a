// A moving client's people follow it. The client's users (onboarding_users: who signed up on a
// partner's onboarding pages and log in there to see and manage their numbers) belong to one
// partner, and their e-mail is unique per partner only. After a partner change they must log in
// on the new partner's pages and see their numbers there:
//
// - full migration: the users move with the client (partner_id becomes the new partner's; same id,
//   e-mail and password);
// - selective: the old client keeps its other numbers, so its users stay, and each gets an account
//   under the new partner too, linked to the new client that holds the moved numbers (same e-mail,
//   name and password hash: the same password works there).
//
// A clash — the new partner already has an account with one of those e-mails — is refused, never
// merged: e-mails are not verified at sign-up here, so the other account may be anyone's, and
// linking it to the moved client would hand the client's numbers to whoever made it; replacing it
// would take someone's account away. The request is refused when it is made (409 naming the e-mail),
// and an approval meeting a clash that appeared since then fails with the same reason (no half
// move: the move checks before it writes). The way out is the operator's (the other account is
// removed or renamed with `openwaba onboarding-users` or /admin/onboarding_users, services/
// onboarding-users.ts, then a new request); the reason says so.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import { recordId } from '../ids.ts';

/** E-mails of this client's users that the new partner already has an account for. */
export async function clientUserClashes(ex: Executor, clientId: string, oldPartnerId: string, newPartnerId: string): Promise<string[]> {
  const rows = await ex
    .selectFrom('onboarding_users as mine')
    .innerJoin('onboarding_users as theirs', (j) => j.onRef('theirs.email', '=', 'mine.email').on('theirs.partner_id', '=', newPartnerId))
    .select('mine.email')
    .where('mine.client_id', '=', clientId)
    .where('mine.partner_id', '=', oldPartnerId)
    .orderBy('mine.email')
    .execute();
  return [...new Set(rows.map((r) => r.email))];
}

/**
 * The reason shown to the client (and stored as a failed request's failure_reason), with the
 * operator's way out: find the new partner's account by its e-mail, rename or remove it
 * (`openwaba onboarding-users`, or /admin/onboarding_users), then a new request.
 */
export function clashReason(emails: readonly string[], newPartnerId: string): string {
  const list = emails.slice(0, 5).join(', ');
  const email = emails.length === 1 ? emails[0]! : '<e-mail>';
  return (
    `Partner ${newPartnerId} already has an account with the e-mail ${list}, so your login could not move with your numbers. ` +
    'The change needs that account removed or renamed first: ask the platform operator. ' +
    `Operator: \`openwaba onboarding-users list --partner ${newPartnerId} --email ${email}\` finds it; ` +
    '`openwaba onboarding-users rename <user-id> --email <new e-mail>` or `openwaba onboarding-users remove <user-id>` resolves it ' +
    '(or PATCH / DELETE /admin/onboarding_users/<user-id>); then ask for the change again.'
  );
}

/** Full migration: the client's users become the new partner's. */
export async function moveClientUsers(tx: Transaction<Database>, clientId: string, oldPartnerId: string, newPartnerId: string): Promise<number> {
  const res = await tx.updateTable('onboarding_users').set({ partner_id: newPartnerId }).where('client_id', '=', clientId).where('partner_id', '=', oldPartnerId).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Selective: each user of the old client gets an account under the new partner for the new client. */
export async function copyClientUsers(tx: Transaction<Database>, oldClientId: string, oldPartnerId: string, newClientId: string, newPartnerId: string, now: string): Promise<number> {
  const users = await tx.selectFrom('onboarding_users').selectAll().where('client_id', '=', oldClientId).where('partner_id', '=', oldPartnerId).execute();
  for (const u of users) {
    await tx
      .insertInto('onboarding_users')
      .values({ ...u, id: recordId('obu'), partner_id: newPartnerId, client_id: newClientId, created_at: now })
      .execute();
  }
  return users.length;
}
