import { createDockerConfigSink } from '@ecr-refresh/core';
import type { ExitStatus } from '../../exit-status.ts';
import type { SharedArgs } from '../../options/shared-options.ts';
import { runRefresh } from '../../run/run-refresh.ts';

/** Arguments of `ecr-refresh docker-config`. */
export interface DockerConfigArgs extends SharedArgs {
  dockerConfig?: string | undefined;
}

/** `ecr-refresh docker-config`: merge fresh credentials into a docker config.json. */
export async function runDockerConfig(args: DockerConfigArgs): Promise<ExitStatus> {
  return runRefresh(args, (settings) => [
    createDockerConfigSink({ path: args.dockerConfig, email: settings.email }),
  ]);
}
