/**
 * The subcommands' names, which the launcher needs before the CLI is loaded (src/bin/code-cache.ts
 * names its cache profiles after them); commands/index.ts lists the commands themselves, and a
 * test keeps the two lists equal.
 */
export const COMMAND_NAMES: readonly string[] = ['docker-config', 'k8s', 'rancher1', 'rancher2', 'token'];
