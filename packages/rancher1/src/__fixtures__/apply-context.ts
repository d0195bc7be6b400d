import {
  applyContextFor,
  type ApplyContextOptions,
} from '../../../../test/support/apply-context.ts';

/** A run's context serving `hosts`, counting ECR fetches; the password every Rancher spec asserts on. */
export function applyContext(hosts: readonly string[], options: ApplyContextOptions = {}) {
  return applyContextFor(hosts, { password: 'ecr-password-from-fixture-0123', ...options });
}
