import type { CommandModule } from './command-module.ts';
import { dockerConfigCommand } from './docker-config/command.ts';
import { k8sCommand } from './k8s/command.ts';
import { rancher1Command } from './rancher1/command.ts';
import { rancher2Command } from './rancher2/command.ts';
import { tokenCommand } from './token/command.ts';

/** Every subcommand, in the order `--help` lists them. A new sink adds its command here. */
export const commands: ReadonlyArray<CommandModule<never>> = [
  dockerConfigCommand,
  k8sCommand,
  rancher1Command,
  rancher2Command,
  tokenCommand,
] as ReadonlyArray<CommandModule<never>>;
