// A background loop's sleep that wake() cuts short. A wake-up that comes while the loop is busy
// is remembered, so the next sleep returns at once instead of losing it.
export class WakeSignal {
  private woken = false;
  private cut: (() => void) | undefined;

  wake(): void {
    this.woken = true;
    const c = this.cut;
    this.cut = undefined;
    c?.();
  }

  /** Whether a wake-up came since the last clear(). */
  get pending(): boolean {
    return this.woken;
  }

  /** Forgets earlier wake-ups: call at the start of each round of work. */
  clear(): void {
    this.woken = false;
  }

  /** Resolves true if the time ran out, false if woken (also by a wake-up that came before). */
  sleep(ms: number): Promise<boolean> {
    if (this.woken) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.cut = undefined;
        resolve(true);
      }, ms);
      t.unref();
      this.cut = () => {
        clearTimeout(t);
        resolve(false);
      };
    });
  }
}
