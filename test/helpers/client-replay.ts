// What the real-client replays (test/messaging/client-*.test.ts, test/partner-client-kairon.test.ts)
// start: the app with its webhook dispatcher, sandbox statuses and template reviews fast enough
// for a client's whole conversation to play out within a test.
import type { DbKind } from './db.ts';
import { startTestApp, type TestApp } from './app.ts';

export const REPLAY_ENV = { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms', OPENWABA_TEMPLATE_REVIEW_DELAY: '50ms' };

export function startReplayApp(kind: DbKind, env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp(kind, { dispatcher: true, env: { ...REPLAY_ENV, ...env } });
}
