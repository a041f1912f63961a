// Waiting in tests: poll a condition until it holds (bounded), or just pause.
//
//   const item = await waitUntil('the message is read', async () => (await items()).find((i) => i.status === 'read'));
//   await sleep(100);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  everyMs?: number;
}

/**
 * Calls `check` now and then every `everyMs` until it returns a truthy value, and resolves with
 * that value. Rejects, naming `what`, once `timeoutMs` has passed without one; an error thrown by
 * `check` rejects at once.
 */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const everyMs = opts.everyMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
