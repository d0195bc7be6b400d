import type { CommandModule } from '../command-module.ts';
import type { DockerConfigArgs } from './run.ts';

/** `ecr-refresh docker-config`. */
export const dockerConfigCommand: CommandModule<DockerConfigArgs> = {
  name: 'docker-config',
  description: 'Merge fresh credentials into a docker config.json',
  builder: (yargs) =>
    yargs
      .option('docker-config', {
        type: 'string',
        description:
          'Path of the config.json to update (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
      })
      .example(
        '$0 docker-config -r 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'Update ~/.docker/config.json',
      )
      .example(
        '$0 docker-config -r 123456789012:eu-west-1 --docker-config /etc/docker/config.json --dry-run',
        'Show what would change',
      ),
  load: async () => (await import('./run.ts')).runDockerConfig,
};
