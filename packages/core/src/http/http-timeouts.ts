/** Network limits of every AWS call. */
export interface HttpTimeouts {
  /** Time allowed to open a connection, in milliseconds. */
  connectTimeoutMs: number;
  /** Time a request may wait for the server without receiving anything, in milliseconds. */
  requestTimeoutMs: number;
}

/** The limits of ECR and STS calls when none are given: 5 s to connect, 15 s for an answer. */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 };
