// Housekeeping every instance does now and then: expired browser sessions and finished login
// throttle windows are deleted (webhook events and media have their own retention).
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from './deps.ts';
import { pruneSessions } from './web/sessions.ts';

export async function runMaintenance(deps: Deps): Promise<void> {
  await pruneSessions(deps);
  const windowStart = new Date(deps.clock.now().getTime() - deps.config.loginWindowSeconds * 1000).toISOString();
  await deps.db.kysely.deleteFrom('auth_throttle').where('window_started_at', '<', windowStart).execute();
}

/** Runs maintenance once soon after start, then every intervalMs; stop() ends it. */
export function startMaintenance(deps: Deps, logger: Pick<FastifyBaseLogger, 'warn'>, intervalMs = 3600_000): { stop(): void } {
  const run = () => runMaintenance(deps).catch((err: unknown) => logger.warn({ err }, 'maintenance failed; will try again'));
  const first = setTimeout(run, 60_000);
  const every = setInterval(run, intervalMs);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
