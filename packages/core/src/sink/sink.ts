import type { EcrRefreshError } from '../errors.ts';
import type { CredentialRecord, RegistryCredential } from '../credential/registry-credential.ts';
import type { RegistryTarget } from '../registry/registry-target.ts';
import type { Logger } from '../log/logger.ts';

/** What happened to one target: written anew, rewritten, left as it was (still fresh), or not. */
export type TargetAction = 'created' | 'updated' | 'unchanged' | 'failed';

/** The outcome for one target of one sink (a file, a namespace, a Rancher environment…). */
export interface TargetResult {
  /** The sink's {@link Sink.id}. */
  readonly sink: string;
  /** The target, as a user would name it (`/root/.docker/config.json`, `cluster/namespace`). */
  readonly target: string;
  /**
   * The cluster the target belongs to, for sinks that serve several: the Kubernetes context, or
   * the Rancher cluster id of a fleet's cluster or of a project. Absent for sinks without
   * clusters, and for a failure that concerns no one cluster (Rancher's clusters not listed).
   */
  readonly cluster?: string;
  readonly action: TargetAction;
  /** Why the target failed; present exactly when `action` is `failed`. */
  readonly error?: EcrRefreshError;
  /** What is in place after the run (absent when nothing of ours is). */
  readonly record?: CredentialRecord;
  /** A short human reason (`still fresh until …`, `adopted`), when there is one. */
  readonly reason?: string;
  /** True when the action is what would have happened: nothing was written. */
  readonly dryRun?: boolean;
}

/** A problem {@link Sink.validate} found; `path` names the option or object at fault. */
export interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/** What core hands a sink for one run. */
export interface ApplyContext {
  /** Every registry to serve in this run. */
  readonly registries: readonly RegistryTarget[];
  /**
   * The credentials of every registry, fetched from ECR on the first call and shared by every
   * later call of the run. Call it only for targets that {@link needsRefresh}: a run in which
   * nothing needs it makes no ECR call. Rejects with the fetch's error.
   */
  credentials(): Promise<ReadonlyMap<string, RegistryCredential>>;
  /**
   * Whether a target whose current record is `record` must be written: it is missing, does not
   * cover every host (of `hosts`, by default every registry of the run: a sink whose target
   * serves one host, such as a Rancher registry credential, names it), is past its half-life,
   * or the run is forced.
   */
  needsRefresh(record: CredentialRecord | undefined, hosts?: readonly string[]): boolean;
  /** Report what would be done, write nothing. */
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * The one contract between core and a place where pull credentials are written. A sink never
 * throws for one target: every target gets its own {@link TargetResult}, so one failure never
 * stops the others.
 */
export interface Sink {
  /** Kebab-case name, the same as the sink's package or file: `docker-config`, `k8s`, `rancher1`. */
  readonly id: string;
  /** Checks configuration and reachability without writing; returns every problem found. */
  validate(options?: { signal?: AbortSignal }): Promise<ValidationProblem[]>;
  /** Brings every target up to date and returns one result per target. */
  apply(context: ApplyContext): Promise<TargetResult[]>;
  /**
   * Optional, for the long-running service: watches the sink's world until `signal` aborts and
   * calls `onChange` when a target appears or is altered (a namespace created, a managed Secret
   * deleted), so the service refreshes at once instead of at the next half-life. Reconnects by
   * itself; resolves when stopped.
   */
  watch?(options: WatchOptions): Promise<void>;
}

/** What the refresh service hands {@link Sink.watch}. */
export interface WatchOptions {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  onChange(reason: string): void;
}
