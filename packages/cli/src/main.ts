import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { ExitStatus, exitStatusOfError } from './exit-status.ts';
import { sharedOptions, type SharedArgs } from './options/shared-options.ts';
import { commands } from './commands/index.ts';

const ENV_PREFIX = 'ECR_REFRESH';

/**
 * Parses `argv` and runs the chosen subcommand; returns the exit status. Each command's code is
 * imported only when that command runs, so `--help` loads neither the AWS SDK nor any sink.
 * Every error is turned into an exit status here and nowhere else.
 */
export async function main(argv: readonly string[]): Promise<ExitStatus> {
  ignoreClosedStdout();
  try {
    const loadConfig = await configLoaderFor(argv);
    const args = await buildParser(argv, loadConfig).parseAsync();
    // Commands are run here rather than as yargs handlers, so yargs has finished (and reported any
    // usage mistake) before a command's code is even loaded.
    const command = commands.find((candidate) => candidate.name === args._[0]);
    return command === undefined ? ExitStatus.ok : await (await command.load())(args as never);
  } catch (error) {
    return reportError(error);
  }
}

// A reader that stops early (`ecr-refresh k8s … | head`) closes the pipe: writing more fails with
// EPIPE, which would crash the process with a stack trace after the work was done. The rest of the
// output is dropped instead, and the exit status still says how the run went.
const CLOSED_OUTPUT = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

function ignoreClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!CLOSED_OUTPUT.has(error.code ?? '')) throw error;
  });
}

function buildParser(
  argv: readonly string[],
  loadConfig: (path: string) => Record<string, unknown>,
): Argv {
  const parser = withoutHelpCache(yargs([...argv]))
    .scriptName('ecr-refresh')
    .usage(
      '$0 <command> [options]\n\nKeeps Amazon ECR pull credentials fresh where images are pulled.',
    )
    .env(ENV_PREFIX)
    .config('config', 'YAML file with any of the options (camelCase or kebab-case keys)', (path) =>
      loadConfig(path),
    )
    .options(sharedOptions)
    .group(Object.keys(sharedOptions), 'Shared options:');
  for (const command of commands)
    parser.command(command.name, command.description, command.builder);
  return parser
    .example('$0 docker-config -r 123456789012:eu-west-1', 'Refresh ~/.docker/config.json')
    .example(
      'ECR_REFRESH_REGISTRY=123456789012:eu-west-1 $0 token',
      'Options also come from ECR_REFRESH_* variables',
    )
    .epilogue(
      'Exit status: 0 all targets in place, 1 some targets failed, 2 no credentials could be fetched, 64 bad input.\n' +
        'The blog CronJob variables AWS_ACCOUNT_NUMBER, AWS_DEFAULT_REGION and EMAIL are honoured.',
    )
    .demandCommand(1, `name a command: ${commands.map((command) => command.name).join(', ')}`)
    .strictCommands()
    .strictOptions()
    .version(readVersion())
    .help()
    .alias('help', 'h')
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail((message, error) => {
      // yargs reports its own findings (unknown option, bad choice, an unreadable config file)
      // as YError: all of them are usage mistakes. Anything else comes from a command.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error;
      throw new UsageError(message ?? error?.message ?? 'invalid usage');
    }) as unknown as Argv<SharedArgs>;
}

/** The part of yargs' internal API that {@link withoutHelpCache} touches; absent in other majors. */
interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage(): void } };
}

/**
 * After a command's handler, yargs renders the command's whole help text and caches it, in case
 * the handler shows help later (~8 ms of every run, even with the empty handler yargs supplies).
 * Commands here run after parsing and never ask yargs for help, so the cache is never read: skip
 * filling it. `--help` renders its text itself, unaffected. Without the internal API (another
 * yargs major) nothing changes but the speed.
 */
function withoutHelpCache(parser: Argv): Argv {
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance();
  if (usage !== undefined) usage.cacheHelpMessage = () => undefined;
  return parser;
}

/** A usage mistake yargs found (unknown option, missing command); exit 64. */
class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'ERR_INVALID_CONFIG';
}

async function reportError(error: unknown): Promise<ExitStatus> {
  const status = exitStatusOfError(error);
  // Messages never carry secrets by construction; redaction is the second line of defence.
  const { redactSecrets } = await import('@ecr-refresh/core');
  const message = error instanceof Error ? error.message : String(error);
  const hint = status === ExitStatus.badInput ? '\nRun ecr-refresh --help for usage.' : '';
  process.stderr.write(`ecr-refresh: ${redactSecrets(message)}${hint}\n`);
  if (status === ExitStatus.internalError && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${redactSecrets(error.stack)}\n`);
  }
  return status;
}

/** Loads the config-file reader (yaml, zod) only when a config file is named. */
async function configLoaderFor(
  argv: readonly string[],
): Promise<(path: string) => Record<string, unknown>> {
  const named =
    argv.some((arg) => arg === '--config' || arg.startsWith('--config=')) ||
    process.env[`${ENV_PREFIX}_CONFIG`] !== undefined;
  if (!named) return () => ({});
  return (await import('./options/config-file.ts')).loadConfigFile;
}

function readVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return manifest.version;
}
