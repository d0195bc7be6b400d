import { execFile } from 'node:child_process';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import { commandAvailable } from '../command-available.ts';
import { runScript } from '../run-script.ts';

/** Where the kube-apiserver and etcd are, and which Kubernetes version they are. */
export interface KubeBinaries {
  binDir: string;
  kubeApiServer: string;
  etcd: string;
  /** e.g. `1.37.2`: from `kube-apiserver --version` for KUBEBUILDER_ASSETS, else KUBE_VERSION or test/peers/kube/VERSION. */
  version: string;
}

/** Where {@link ensureKubeBinaries} will take the binaries from, or why it cannot. */
export type KubeBinariesSource =
  | { from: 'KUBEBUILDER_ASSETS' | 'cache' | 'go build'; binDir?: string }
  | { from: 'none'; missing: string };

const BUILD_SCRIPT = join(import.meta.dirname, 'build.sh');
/** The Go release build.sh is known to work with (its go.mod says `go 1.26`). */
export const KUBE_BUILD_GO = '1.26.8';

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The Kubernetes version to build or look up in the cache: KUBE_VERSION, else test/peers/kube/VERSION. */
export async function pinnedKubeVersion(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return env.KUBE_VERSION ?? (await readFile(join(import.meta.dirname, 'VERSION'), 'utf8')).trim();
}

/** The cache's bin dir of `version` (build.sh's `$CACHE_ROOT/kube/v<version>/bin`), whether or not it is there. */
export function kubeCacheBinDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'kube', `v${version}`, 'bin');
}

/**
 * The binaries of an envtest-style directory (`KUBEBUILDER_ASSETS`: kube-apiserver and etcd side
 * by side), their version read from `kube-apiserver --version`. Rejects naming the variable when
 * either is missing or not executable, or the version cannot be read.
 */
export async function kubeBinariesFromAssets(binDir: string): Promise<KubeBinaries> {
  const kubeApiServer = join(binDir, 'kube-apiserver');
  const etcd = join(binDir, 'etcd');
  const bad: string[] = [];
  for (const path of [kubeApiServer, etcd]) if (!(await isExecutableFile(path))) bad.push(path);
  if (bad.length > 0) {
    throw new Error(
      `KUBEBUILDER_ASSETS=${binDir} must hold executable kube-apiserver and etcd (envtest layout): ${bad.join(' and ')} ${bad.length > 1 ? 'are' : 'is'} missing or not executable`,
    );
  }
  const printed = await new Promise<string>((resolve, reject) => {
    execFile(kubeApiServer, ['--version'], { timeout: 30_000 }, (error, stdout) =>
      error === null ? resolve(stdout) : reject(error),
    );
  }).catch((error: Error) => {
    throw new Error(
      `KUBEBUILDER_ASSETS=${binDir}: ${kubeApiServer} --version failed: ${error.message}`,
    );
  });
  const version = /\bv(\d+\.\d+\.\d+\S*)/.exec(printed)?.[1];
  if (version === undefined)
    throw new Error(
      `KUBEBUILDER_ASSETS=${binDir}: ${kubeApiServer} --version printed no version: ${printed.trim().slice(0, 200)}`,
    );
  return { binDir, kubeApiServer, etcd, version };
}

/**
 * Where the binaries would come from, in {@link ensureKubeBinaries}' order, without building:
 * `KUBEBUILDER_ASSETS` when set (rejects naming it when it is unusable), else the cache, else a
 * Go build when `go` is on PATH, else `none` with what is missing.
 */
export async function kubeBinariesSource(
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubeBinariesSource> {
  const assets = env.KUBEBUILDER_ASSETS;
  if (assets !== undefined && assets !== '')
    return { from: 'KUBEBUILDER_ASSETS', binDir: (await kubeBinariesFromAssets(assets)).binDir };
  const binDir = kubeCacheBinDir(await pinnedKubeVersion(env), env);
  if (
    (await isExecutableFile(join(binDir, 'kube-apiserver'))) &&
    (await isExecutableFile(join(binDir, 'etcd')))
  )
    return { from: 'cache', binDir };
  if (await commandAvailable('go', env)) return { from: 'go build' };
  return {
    from: 'none',
    missing: `no kube-apiserver: KUBEBUILDER_ASSETS is unset, none is cached in ${binDir} and no go is on PATH to build it`,
  };
}

/**
 * Returns kube-apiserver and etcd: from `KUBEBUILDER_ASSETS` when set (the envtest convention),
 * else the cached build of the pinned version, building it first when the cache
 * (`~/.cache/ecr-refresh/kube/v<version>/bin`) is missing: about 7 minutes on 2 cores, with the
 * build's progress streamed to stderr. A cached run costs one `bash` start.
 */
export async function ensureKubeBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubeBinaries> {
  const assets = env.KUBEBUILDER_ASSETS;
  if (assets !== undefined && assets !== '') return kubeBinariesFromAssets(assets);
  const version = await pinnedKubeVersion(env);
  const binDir =
    (await runScript(BUILD_SCRIPT, [], { ...env, KUBE_VERSION: version })).split('\n').pop() ?? '';
  if (binDir === '') throw new Error(`${BUILD_SCRIPT} printed no bin dir`);
  return {
    binDir,
    kubeApiServer: join(binDir, 'kube-apiserver'),
    etcd: join(binDir, 'etcd'),
    version,
  };
}
