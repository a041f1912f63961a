// Small per-installation values shared by every instance (e.g. the token signing secret).
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';

/** The stored value for key, creating it with make() if absent. Safe when instances race. */
export async function getOrCreateSetting(deps: Deps, key: string, make: () => string): Promise<string> {
  const existing = await deps.db.kysely.selectFrom('instance_settings').select('value').where('key', '=', key).executeTakeFirst();
  if (existing) return existing.value;
  await deps.db.kysely
    .insertInto('instance_settings')
    .values({ key, value: make() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await deps.db.kysely.selectFrom('instance_settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}

/** The stored value for key, or undefined. */
export async function readSetting(db: Executor, key: string): Promise<string | undefined> {
  return (await db.selectFrom('instance_settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

/** Stores value under key: replacing what is there, or (replace: false) only when there is nothing yet. */
export async function putSetting(db: Executor, key: string, value: string, opts: { replace: boolean }): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ key, value })
    .onConflict((oc) => (opts.replace ? oc.column('key').doUpdateSet({ value }) : oc.column('key').doNothing()))
    .execute();
}

/** Stores value under key unless what is there already sorts after it: a mark that only moves forward, whichever instance writes last. */
export async function raiseSetting(db: Executor, key: string, value: string): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }).where('instance_settings.value', '<', value))
    .execute();
}
