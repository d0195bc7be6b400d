import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { describeSchemaIssues } from '@ecr-refresh/core';

/** A kubeconfig cluster: where the API server is and how it is trusted. */
export interface KubeCluster {
  readonly name: string;
  readonly server: string;
  /** base64 of PEM certificates (`certificate-authority-data`). */
  readonly caData?: string | undefined;
  /** A PEM file (`certificate-authority`), absolute. */
  readonly caFile?: string | undefined;
  readonly skipTLSVerify?: boolean | undefined;
  /** `tls-server-name`: the name the server's certificate is checked against, instead of the URL's host. */
  readonly tlsServerName?: string | undefined;
  /** `proxy-url`: an http(s) proxy for this cluster, instead of HTTPS_PROXY. */
  readonly proxyUrl?: string | undefined;
}

/** `users[].user.exec`: a credential plugin (client.authentication.k8s.io). */
export interface KubeExec {
  readonly apiVersion?: string | undefined;
  /** Checked before use (`exec-credential-plugin.ts`): a kubeconfig may lack it. */
  readonly command?: string | undefined;
  readonly args?: readonly string[] | undefined;
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value: string }> | undefined;
  readonly installHint?: string | undefined;
  readonly provideClusterInfo?: boolean | undefined;
  readonly interactiveMode?: string | undefined;
}

/** A kubeconfig user: how requests authenticate. File paths are absolute. */
export interface KubeUser {
  readonly name: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly certData?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyData?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly exec?: KubeExec | undefined;
  readonly authProvider?:
    | { readonly name: string; readonly config: Readonly<Record<string, string>> }
    | undefined;
}

/** A kubeconfig context: a cluster, a user and a default namespace. */
export interface KubeContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string | undefined;
}

/** A kubeconfig, reduced to what ecr-refresh uses. */
export interface Kubeconfig {
  readonly clusters: readonly KubeCluster[];
  readonly users: readonly KubeUser[];
  readonly contexts: readonly KubeContext[];
  readonly currentContext?: string | undefined;
}

const text = z.string();
// YAML's null (a key with nothing after it) is the same as an absent key.
const orUndefined = <Value>(value: Value | null | undefined): Value | undefined =>
  value ?? undefined;
const optionalText = text.nullish().transform(orUndefined);
// `clusters:` with nothing after it is null in YAML: the same as no list.
const listOf = <Item extends z.ZodType>(item: Item) =>
  z
    .array(item)
    .nullish()
    .transform((items) => items ?? []);

const execSchema = z.looseObject({
  apiVersion: optionalText,
  command: optionalText,
  args: z.array(text).nullish().transform(orUndefined),
  env: z
    .array(z.looseObject({ name: text, value: text }))
    .nullish()
    .transform(orUndefined),
  installHint: optionalText,
  provideClusterInfo: z.boolean().nullish().transform(orUndefined),
  interactiveMode: optionalText,
});

const userSchema = z.looseObject({
  token: optionalText,
  tokenFile: optionalText,
  'client-certificate-data': optionalText,
  'client-certificate': optionalText,
  'client-key-data': optionalText,
  'client-key': optionalText,
  username: optionalText,
  password: optionalText,
  exec: execSchema.nullish(),
  'auth-provider': z.looseObject({ name: text, config: z.record(text, text).nullish() }).nullish(),
});

const schema = z.looseObject({
  clusters: listOf(
    z.looseObject({
      name: text,
      cluster: z.looseObject({
        server: text,
        'certificate-authority-data': optionalText,
        'certificate-authority': optionalText,
        'insecure-skip-tls-verify': z.boolean().nullish(),
        'tls-server-name': optionalText,
        'proxy-url': optionalText,
      }),
    }),
  ),
  users: listOf(
    z.looseObject({
      name: text,
      // `user:` with nothing after it (a user with no credentials) is null in YAML.
      user: userSchema.nullish().transform((user) => user ?? userSchema.parse({})),
    }),
  ),
  contexts: listOf(
    z.looseObject({
      name: text,
      context: z.looseObject({ cluster: text, user: text, namespace: optionalText }),
    }),
  ),
  'current-context': optionalText,
});

/**
 * Parses a kubeconfig's text (YAML, or JSON, which is YAML too) and checks its shape. Relative
 * file paths in it are resolved against `path`'s directory, as kubectl resolves them. Throws an
 * Error whose message lists every problem (`users.0.user.token: …`); the message never contains
 * a value of the file.
 */
export function parseKubeconfig(source: string, path: string): Kubeconfig {
  const parsed = schema.safeParse(parse(source) ?? {});
  if (!parsed.success) {
    throw new Error(describeSchemaIssues(parsed.error.issues).join('; '));
  }
  const { clusters, users, contexts } = parsed.data;
  const absolute = (file: string | undefined) =>
    file === undefined || file === '' || isAbsolute(file)
      ? file || undefined
      : resolve(dirname(path), file);
  return {
    clusters: clusters.map(({ name, cluster }) => ({
      name,
      server: cluster.server,
      caData: cluster['certificate-authority-data'],
      caFile: absolute(cluster['certificate-authority']),
      skipTLSVerify: cluster['insecure-skip-tls-verify'] ?? undefined,
      tlsServerName: cluster['tls-server-name'],
      proxyUrl: cluster['proxy-url'],
    })),
    users: users.map(({ name, user }) => ({
      name,
      token: user.token,
      tokenFile: absolute(user.tokenFile),
      certData: user['client-certificate-data'],
      certFile: absolute(user['client-certificate']),
      keyData: user['client-key-data'],
      keyFile: absolute(user['client-key']),
      username: user.username,
      password: user.password,
      exec: user.exec ?? undefined,
      authProvider: user['auth-provider']
        ? { name: user['auth-provider'].name, config: user['auth-provider'].config ?? {} }
        : undefined,
    })),
    contexts: contexts.map(({ name, context }) => ({ name, ...context })),
    currentContext: parsed.data['current-context'],
  };
}

/**
 * KUBECONFIG=a:b as kubectl merges it: the first file to define a cluster, user or context name
 * (or the current context) wins; later definitions of the same name are ignored.
 */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const firstOfEach = <Item extends { name: string }>(
    lists: ReadonlyArray<readonly Item[]>,
  ): Item[] => {
    const byName = new Map<string, Item>();
    for (const item of lists.flat()) if (!byName.has(item.name)) byName.set(item.name, item);
    return [...byName.values()];
  };
  return {
    clusters: firstOfEach(configs.map((config) => config.clusters)),
    users: firstOfEach(configs.map((config) => config.users)),
    contexts: firstOfEach(configs.map((config) => config.contexts)),
    currentContext: configs
      .map((config) => config.currentContext)
      .find((name) => name !== undefined && name !== ''),
  };
}
