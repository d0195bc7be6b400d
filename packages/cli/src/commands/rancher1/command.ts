import type { CommandModule } from '../command-module.ts';
import type { Rancher1Args } from './run.ts';

/** `ecr-refresh rancher1`. */
export const rancher1Command: CommandModule<Rancher1Args> = {
  name: 'rancher1',
  description:
    'Keep Rancher 1.x (Cattle) registry credentials fresh, updated in place in each environment',
  builder: (yargs) =>
    yargs
      .option('url', {
        type: 'string',
        description:
          'Rancher API URL: …/v1, …/v2-beta, with or without /projects/<id> (default: CATTLE_URL)',
      })
      .option('access-key', {
        type: 'string',
        description: 'API access key, of an environment or an account (default: CATTLE_ACCESS_KEY)',
      })
      .option('secret-key', {
        type: 'string',
        description: 'API secret key (default: CATTLE_SECRET_KEY; prefer the variable to the flag)',
      })
      .option('environment', {
        type: 'string',
        array: true,
        alias: 'e',
        description:
          'Environment by id (1a5) or name; repeatable (default: the one in the URL, else every environment the key reaches)',
      })
      .option('auto-create', {
        type: 'boolean',
        default: false,
        description:
          'Create the registry and its credential where an environment has none for a host',
      })
      .option('activate', {
        type: 'boolean',
        default: false,
        description: 'Activate a registry found inactive instead of reporting it',
      })
      .option('ca-file', {
        type: 'string',
        description: "PEM file of the CA(s) that signed Rancher's certificate",
      })
      .option('concurrency', {
        type: 'number',
        default: 4,
        description: 'Environments worked on at the same time',
      })
      .example(
        'CATTLE_URL=http://rancher:8080/v2-beta/projects/1a5 CATTLE_ACCESS_KEY=… CATTLE_SECRET_KEY=… $0 rancher1 -r 123456789012:eu-west-1',
        'One environment, with its environment API key',
      )
      .example(
        '$0 rancher1 -r 123456789012:eu-west-1 -e Production -e Staging --auto-create',
        'Several environments with an account key, creating missing registries',
      ),
  load: async () => (await import('./run.ts')).runRancher1,
};
