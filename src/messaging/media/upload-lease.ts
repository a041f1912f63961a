// One POST at a time per resumable upload session across instances (media/resumable.ts): the
// session's row carries a lease (migration 0036: lease_token, lease_expires_at). A POST takes it
// with a guarded UPDATE (no holder, or the holder's lease expired), renews it while its body
// streams, and clears it at its end. A POST that finds another writer's live lease waits for it
// (polling) until its deadline, then is refused like one cut off in this process; a writer that
// died leaves a lease that expires after LEASE_TTL_MS.
// Within one process the `busy` map of resumable.ts stops the earlier POST first (a client
// resumes because it believes its earlier POST dead), so the lease only ever waits for another
// instance's writer.
import type { Deps } from '../../deps.ts';
import { base62 } from '../../ids.ts';

/** Timings (mutable for tests only). */
export const leaseTiming = {
  /** How long a POST waits for the one it cut off (this process) or another instance's to end. */
  takeoverWaitMs: 5_000,
  /** How long a lease lasts without renewal (a crashed writer's blocks the session this long). */
  ttlMs: 30_000,
  /** How often a streaming writer renews it. */
  renewMs: 10_000,
  /** How often a waiting POST looks again. */
  pollMs: 100,
};

export interface Lease {
  token: string;
  /** Stops renewing and clears the lease (when still ours). */
  release(): Promise<void>;
}

const expiry = (deps: Deps) => new Date(deps.clock.now().getTime() + leaseTiming.ttlMs).toISOString();

/** One guarded UPDATE: true when the lease is now `token`'s. */
async function tryTake(deps: Deps, id: string, token: string): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const res = await deps.db.kysely
    .updateTable('resumable_uploads')
    .set({ lease_token: token, lease_expires_at: expiry(deps) })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('lease_token', 'is', null), eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Takes the session's lease, waiting for another writer's until `deadline` (Date.now() ms);
 * undefined when it is still held then (or `signal` stopped the wait). `onLost` runs when a renewal finds the lease taken over
 * (ours expired meanwhile): the caller stops writing.
 */
export async function takeLease(deps: Deps, id: string, deadline: number, onLost: () => void, signal?: AbortSignal): Promise<Lease | undefined> {
  const token = base62(24);
  while (!(await tryTake(deps, id, token))) {
    const left = deadline - Date.now();
    // Out of time, or the waiting POST was stopped (a later one took its place in this process).
    if (left <= 0 || signal?.aborted) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(leaseTiming.pollMs, left)));
  }
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = deps.db.kysely
      .updateTable('resumable_uploads')
      .set({ lease_expires_at: expiry(deps) })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .executeTakeFirst()
      .then((res) => {
        if (Number(res.numUpdatedRows) !== 1) onLost();
      })
      // A renewal that failed may leave the lease to expire under a writer still appending: stop
      // writing (the client resumes from the offset) rather than risk two writers on one file.
      .catch(() => onLost());
  }, leaseTiming.renewMs);
  timer.unref();
  return {
    token,
    async release() {
      clearInterval(timer);
      await renewing;
      await deps.db.kysely.updateTable('resumable_uploads').set({ lease_token: null, lease_expires_at: null }).where('id', '=', id).where('lease_token', '=', token).execute();
    },
  };
}
