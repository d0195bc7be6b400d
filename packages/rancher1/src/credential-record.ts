import type { CredentialRecord } from '@ecr-refresh/core';

/**
 * Cattle never returns `secretValue`, so what a credential holds can only be known from what we
 * wrote beside it: its `description` carries the fetch time and expiry of the password we put
 * there. A description edited by hand, or any other, simply reads as "unknown": refresh.
 */
const PREFIX = 'ecr-refresh';
const PATTERN = /^ecr-refresh: fetched (\S+), expires (\S+) \(do not edit\)$/;

/** The description to store with the credential written for `host`. */
export function describeCredential(
  record: Pick<CredentialRecord, 'fetchedAt' | 'expiresAt'>,
): string {
  return `${PREFIX}: fetched ${record.fetchedAt.toISOString()}, expires ${record.expiresAt.toISOString()} (do not edit)`;
}

/** The record a credential's `description` holds for `host`, or undefined when it holds none. */
export function recordOfCredential(
  description: string | null | undefined,
  host: string,
): CredentialRecord | undefined {
  const match = PATTERN.exec(description ?? '');
  if (match === null) return undefined;
  const fetchedAt = new Date(match[1] ?? '');
  const expiresAt = new Date(match[2] ?? '');
  if (Number.isNaN(fetchedAt.getTime()) || Number.isNaN(expiresAt.getTime())) return undefined;
  return { hosts: [host], fetchedAt, expiresAt };
}
