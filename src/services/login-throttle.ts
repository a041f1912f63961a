// Throttles repeated login failures per username and per client address. Kept in the database
// so that every instance behind a load balancer sees the same counts.
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';

export interface ThrottleState {
  blocked: boolean;
  retryAfterSeconds: number;
}

function keys(username: string, address: string): string[] {
  return [`user:${username.trim().toLowerCase().slice(0, 320)}`, `addr:${address}`];
}

export async function checkLoginThrottle(deps: Deps, username: string, address: string): Promise<ThrottleState> {
  const now = deps.clock.now().getTime();
  const windowMs = deps.config.loginWindowSeconds * 1000;
  const rows = await deps.db.kysely.selectFrom('auth_throttle').selectAll().where('key', 'in', keys(username, address)).execute();
  let retry = 0;
  for (const r of rows) {
    const ends = Date.parse(r.window_started_at) + windowMs;
    if (ends > now && r.failures >= deps.config.loginMaxFailures) retry = Math.max(retry, Math.ceil((ends - now) / 1000));
  }
  return { blocked: retry > 0, retryAfterSeconds: retry };
}

export async function recordLoginFailure(deps: Deps, username: string, address: string): Promise<void> {
  const now = deps.clock.now();
  const windowStartLimit = new Date(now.getTime() - deps.config.loginWindowSeconds * 1000).toISOString();
  for (const key of keys(username, address)) {
    await deps.db.kysely.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row || row.window_started_at < windowStartLimit) {
        await tx
          .insertInto('auth_throttle')
          .values({ key, failures: 1, window_started_at: isoNow(deps.clock) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ failures: 1, window_started_at: isoNow(deps.clock) }))
          .execute();
      } else {
        await tx.updateTable('auth_throttle').set((eb) => ({ failures: eb('failures', '+', 1) })).where('key', '=', key).execute();
      }
    });
  }
}

export async function clearLoginFailures(deps: Deps, username: string): Promise<void> {
  await deps.db.kysely.deleteFrom('auth_throttle').where('key', '=', keys(username, '')[0]!).execute();
}
