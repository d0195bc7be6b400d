/**
 * A decoded ECR pull credential for one registry host. `username` is always `AWS`; `auth` is the
 * base64 of `username:password`, as a docker `auth` field holds it.
 */
export interface RegistryCredential {
  readonly host: string;
  readonly username: string;
  readonly password: string;
  readonly auth: string;
  /** When ECR says the token expires (or the documented lifetime, see {@link effectiveExpiry}). */
  readonly expiresAt: Date;
  readonly fetchedAt: Date;
}

/**
 * What a sink records next to a credential it wrote (Kubernetes annotations, a Rancher
 * description, a state file), so a later run can tell whether it is still fresh without asking
 * ECR and without reading the secret back.
 */
export interface CredentialRecord {
  readonly hosts: readonly string[];
  readonly fetchedAt: Date;
  readonly expiresAt: Date;
}

/** ECR documents a 12 hour lifetime for authorization tokens. */
export const DOCUMENTED_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * The expiry to plan with. ECR's `expiresAt` is trusted when it lies after the moment the token
 * was fetched; one at or before it cannot be real (a local clock far ahead, or a stub such as moto,
 * which answers 2015-01-01), and planning with it would refetch on every cycle, so the documented
 * 12 hour lifetime is assumed instead and `trusted` is false.
 */
export function effectiveExpiry(
  reportedExpiresAt: Date | undefined,
  fetchedAt: Date,
): { expiresAt: Date; trusted: boolean } {
  if (reportedExpiresAt !== undefined && reportedExpiresAt.getTime() > fetchedAt.getTime()) {
    return { expiresAt: reportedExpiresAt, trusted: true };
  }
  return {
    expiresAt: new Date(fetchedAt.getTime() + DOCUMENTED_TOKEN_LIFETIME_MS),
    trusted: false,
  };
}

/**
 * The record of credentials written together (one Secret, one config file): their hosts, and the
 * earliest fetch and expiry among them, since the target is only as fresh as its oldest
 * credential. `credentials` must not be empty.
 */
export function combinedRecord(
  credentials: ReadonlyArray<Pick<RegistryCredential, 'host' | 'fetchedAt' | 'expiresAt'>>,
): CredentialRecord {
  return {
    hosts: credentials.map((credential) => credential.host),
    fetchedAt: new Date(
      Math.min(...credentials.map((credential) => credential.fetchedAt.getTime())),
    ),
    expiresAt: new Date(
      Math.min(...credentials.map((credential) => credential.expiresAt.getTime())),
    ),
  };
}

/**
 * When a credential should be replaced: half-way through its lifetime, the rule of the kubelet
 * credential provider and the docker credential helper. Never before `fetchedAt`.
 */
export function refreshDueAt(record: Pick<CredentialRecord, 'fetchedAt' | 'expiresAt'>): Date {
  const fetched = record.fetchedAt.getTime();
  const lifetime = Math.max(0, record.expiresAt.getTime() - fetched);
  return new Date(fetched + lifetime / 2);
}

/**
 * Whether `record` still serves every host in `hosts` at `now`: it covers them all and its
 * half-life has not passed. A missing record is never fresh.
 */
export function isFresh(
  record: CredentialRecord | undefined,
  hosts: readonly string[],
  now: Date,
): boolean {
  if (record === undefined) return false;
  const covered = new Set(record.hosts);
  if (!hosts.every((host) => covered.has(host))) return false;
  return now.getTime() < refreshDueAt(record).getTime();
}
