import { ConfigError } from '@ecr-refresh/core';
import { ExitStatus } from '../../exit-status.ts';
import { resolveSettings } from '../../options/settings.ts';
import type { SharedArgs } from '../../options/shared-options.ts';
import { abortOnSignal } from '../../run/abort-on-signal.ts';
import { openSession } from '../../run/session.ts';

/** Arguments of `ecr-refresh token`. */
export interface TokenArgs extends SharedArgs {
  passwordOnly: boolean;
}

/**
 * `ecr-refresh token`: prints the credentials as JSON, or only the password for
 * `docker login --password-stdin`. The only command that prints a secret, on purpose, and only
 * to standard output.
 */
export async function runToken(args: TokenArgs): Promise<ExitStatus> {
  const settings = resolveSettings(args);
  const { tokenSource } = await openSession(settings);
  const credentials = [
    ...(await tokenSource.fetch(settings.registries, { signal: abortOnSignal() })).values(),
  ];
  if (args.passwordOnly) {
    const passwords = new Set(credentials.map((credential) => credential.password));
    if (passwords.size !== 1) {
      throw new ConfigError(
        `password-only: the registries given need ${passwords.size} different tokens (several regions, or ECR Public with private registries); name registries of one region, or public.ecr.aws alone`,
      );
    }
    process.stdout.write(`${credentials[0]?.password ?? ''}\n`);
    return ExitStatus.ok;
  }
  const json = credentials.map(({ host, username, password, expiresAt }) => ({
    host,
    username,
    password,
    expiresAt: expiresAt.toISOString(),
  }));
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  return ExitStatus.ok;
}
