// Housekeeping every instance does now and then: expired browser sessions, finished login
// throttle windows, webhook events past their retention, GET /{media_id} errors out of their
// window and ended blocks, the record of Meta's webhook changes passed on after Meta's 7 days of
// retries, and media uploads abandoned half-way are deleted; messages past the
// content retention lose their content (their rows stay), and so do the webhook events that carry
// it (inbound message events and their copies).
// (Media past its expiry is deleted by its own durable job.)
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from './deps.ts';
import { removeOldMessageContent } from './messaging/content-retention.ts';
import { removeOldWebhookContent } from './messaging/webhook-content-retention.ts';
import { sweepTemporaryFiles } from './messaging/media/store.ts';
import { pruneMediaGetErrors } from './messaging/media/get-error-block.ts';
import { pruneResumableUploads } from './messaging/media/resumable.ts';
import { pruneForwardedChanges } from './network/meta/forwarded-changes.ts';
import { pruneSessions } from './web/sessions.ts';
import { pruneWebhookEvents } from './webhooks/retention.ts';

export async function runMaintenance(deps: Deps): Promise<void> {
  await pruneSessions(deps);
  const windowStart = new Date(deps.clock.now().getTime() - deps.config.loginWindowSeconds * 1000).toISOString();
  await deps.db.kysely.deleteFrom('auth_throttle').where('window_started_at', '<', windowStart).execute();
  await pruneWebhookEvents(deps);
  await pruneMediaGetErrors(deps);
  // Meta's webhook changes passed on, once Meta retries them no more (7 days).
  await pruneForwardedChanges(deps);
  // Resumable Upload sessions past their 7 days, handles past their 30: the rows and their files.
  await pruneResumableUploads(deps);
  await removeOldMessageContent(deps);
  // After the pruning above: events about to be deleted are not rewritten first.
  await removeOldWebhookContent(deps);
  // File times are wall-clock times: compared with the real clock, not the injected one.
  await sweepTemporaryFiles(deps);
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
