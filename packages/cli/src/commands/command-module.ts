import type { Argv } from 'yargs';
import type { ExitStatus } from '../exit-status.ts';

/**
 * One `ecr-refresh` subcommand. `builder` declares its own options and examples and must stay
 * light; `load` imports the code that runs it, only when it runs, so `--help` and other commands
 * never load this command's sink.
 */
export interface CommandModule<A = never> {
  readonly name: string;
  readonly description: string;
  builder(yargs: Argv): Argv;
  load(): Promise<(args: A) => Promise<ExitStatus>>;
}
