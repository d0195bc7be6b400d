import {
  applyContextFor,
  type ApplyContextOptions,
} from '../../../../test/support/apply-context.ts';

export const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
export const OTHER_HOST = '210987654321.dkr.ecr.us-east-1.amazonaws.com';
export const PASSWORD = 'k8s-fixture-password-0123456789';

/** A run's context serving `hosts` (default: {@link HOST}) with {@link PASSWORD}. */
export function contextFor(options: ApplyContextOptions & { hosts?: string[] } = {}) {
  return applyContextFor(options.hosts ?? [HOST], { password: PASSWORD, ...options });
}
