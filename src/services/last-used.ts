// Records when a key was last used without a write on every request: at most one UPDATE per key
// per interval, off the request path.
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';

const INTERVAL_MS = 60_000;

export class LastUsedRecorder {
  private readonly written = new Map<string, number>();
  constructor(private readonly table: 'partner_api_keys' | 'channel_api_keys') {}

  touch(deps: Deps, keyId: string): void {
    const now = deps.clock.now().getTime();
    const last = this.written.get(keyId);
    if (last !== undefined && now - last < INTERVAL_MS) return;
    this.written.set(keyId, now);
    if (this.written.size > 100_000) this.written.clear();
    deps.db.kysely
      .updateTable(this.table)
      .set({ last_used_at: isoNow(deps.clock) })
      .where('id', '=', keyId)
      .execute()
      .catch(() => this.written.delete(keyId));
  }
}
