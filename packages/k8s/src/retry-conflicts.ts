import { KubernetesApiError } from './errors.ts';

/** How often a write refused for a stale `resourceVersion` is tried again from a fresh read. */
const CONFLICT_ATTEMPTS = 6;

/**
 * Runs `attempt` until it succeeds, retrying (after a short random pause, so racing writers part)
 * while it fails with one of `statuses` — the answers of an optimistic-concurrency write that lost
 * a race. Any other error, or the last conflict, is thrown.
 */
export async function retryConflicts<T>(
  statuses: readonly number[],
  attempt: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      const conflict =
        error instanceof KubernetesApiError &&
        error.status !== undefined &&
        statuses.includes(error.status);
      if (!conflict || tries >= CONFLICT_ATTEMPTS || signal?.aborted === true) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * tries));
    }
  }
}
