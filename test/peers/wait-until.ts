/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** What is awaited, for the timeout message ("kube-apiserver /readyz"). */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each probe: a peer that died will never become ready, so fail fast. */
  abortIf?: () => string | undefined;
}

/**
 * Calls `probe` until it returns true, then resolves. Rejects when `abortIf` names a reason or
 * the time is up; the last probe error is kept as the cause so a timeout says what was seen.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abortReason = options.abortIf?.();
    if (abortReason !== undefined)
      throw new Error(`${options.what}: ${abortReason}`, { cause: lastError });
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.what}: not ready after ${options.timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
