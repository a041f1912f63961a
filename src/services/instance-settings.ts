// Small per-installation values shared by every instance (e.g. the token signing secret).
import type { Deps } from '../deps.ts';

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
