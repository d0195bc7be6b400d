/**
 * A sleep that ends early: when `signal` aborts, or when something calls {@link WakeUp.trigger}
 * (a sink saw a new namespace, a deleted Secret). Triggers that arrive while nobody sleeps are
 * remembered, so no change is lost between two cycles.
 */
export interface WakeUp {
  trigger(reason: string): void;
  /** Sleeps up to `ms`; resolves with the trigger's reason, `'timer'` or `'stopped'`. */
  sleep(ms: number, signal: AbortSignal): Promise<string>;
}

/** Creates a {@link WakeUp}; `debounceMs` lets a burst of triggers end one sleep together. */
export function createWakeUp(debounceMs = 500): WakeUp {
  let pending: string | undefined;
  let wake: ((reason: string) => void) | undefined;
  return {
    trigger(reason) {
      if (wake === undefined) {
        pending ??= reason;
        return;
      }
      const resolve = wake;
      wake = undefined;
      // A short debounce: a burst (many namespaces created at once) is served by one cycle.
      setTimeout(() => resolve(reason), debounceMs).unref();
    },
    sleep(ms, signal) {
      if (signal.aborted) return Promise.resolve('stopped');
      if (pending !== undefined) {
        const reason = pending;
        pending = undefined;
        return Promise.resolve(reason);
      }
      return new Promise((resolve) => {
        const finish = (reason: string): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          wake = undefined;
          resolve(reason);
        };
        const onAbort = (): void => finish('stopped');
        const timer = setTimeout(() => finish('timer'), ms);
        signal.addEventListener('abort', onAbort, { once: true });
        wake = finish;
      });
    },
  };
}
