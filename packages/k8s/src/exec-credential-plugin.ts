import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { KubeUser } from './transport/kubeconfig.ts';

/** The part of a kubeconfig user's `exec` section that decides which program runs. */
interface ExecSection {
  readonly command?: unknown;
  readonly env?: ReadonlyArray<{ readonly name?: unknown; readonly value?: unknown }> | null;
  readonly installHint?: unknown;
}

/**
 * What is wrong with a kubeconfig user's credential plugin (`exec`), or undefined when it has
 * none or its command can be run. Rancher writes such a user (`rancher token --server=…`) when
 * its `kubeconfig-generate-token` setting is off; a machine without Rancher's CLI would only find
 * out at the first request, once per target, as a failed connection. The command is looked up as
 * the client will spawn it: a name on PATH (the plugin's own `env` may set PATH), a path with a
 * slash from the working directory.
 */
export function execPluginProblem(user: KubeUser, env: NodeJS.ProcessEnv): string | undefined {
  const exec = user.exec as ExecSection | undefined | null;
  if (exec === undefined || exec === null) return undefined;
  if (typeof exec.command !== 'string' || exec.command === '')
    return `user "${user.name}" has an exec credential plugin without a command`;
  if (isRunnable(exec.command, pathOf(exec, env))) return undefined;
  const hint =
    typeof exec.installHint === 'string' && exec.installHint.trim() !== ''
      ? ` (${exec.installHint.trim()})`
      : '';
  return (
    `user "${user.name}" gets its credentials from the command "${exec.command}", which is not found${exec.command.includes('/') ? '' : ' on PATH'}${hint}: ` +
    'install it, or use a kubeconfig with a token (in Rancher: turn on the kubeconfig-generate-token setting, or create an API key, and download the kubeconfig again)'
  );
}

function pathOf(exec: ExecSection, env: NodeJS.ProcessEnv): string {
  const own = exec.env?.find((variable) => variable.name === 'PATH')?.value;
  return typeof own === 'string' ? own : (env.PATH ?? '');
}

function isRunnable(command: string, path: string): boolean {
  if (command.includes('/'))
    return isExecutableFile(isAbsolute(command) ? command : resolve(command));
  return path
    .split(delimiter)
    .some((directory) => directory !== '' && isExecutableFile(join(directory, command)));
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
