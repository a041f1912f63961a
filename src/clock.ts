// Time comes from an injected clock so that tests control it.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(d: Date): void {
    this.current = new Date(d.getTime());
  }
}

/** Stored form: ISO-8601 UTC with milliseconds; fixed width, so it sorts as text. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}

/** Wire form, as in 360dialog's fixtures: ISO-8601 UTC without milliseconds, `Z` suffix. */
export function wireTime(stored: string | null | undefined): string | null {
  if (!stored) return null;
  return stored.replace(/\.\d{3}Z$/, 'Z');
}
