import type { CommandModule } from '../command-module.ts';
import type { TokenArgs } from './run.ts';

/** `ecr-refresh token`. */
export const tokenCommand: CommandModule<TokenArgs> = {
  name: 'token',
  description:
    'Print fresh credentials (JSON), or only the password for docker login --password-stdin',
  builder: (yargs) =>
    yargs
      .option('password-only', {
        type: 'boolean',
        default: false,
        description: 'Print only the password',
      })
      .example(
        '$0 token -r 123456789012:eu-west-1 --password-only | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'Log docker in',
      ),
  load: async () => (await import('./run.ts')).runToken,
};
