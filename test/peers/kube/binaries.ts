import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScript } from '../run-script.ts';

/** Where the built kube-apiserver and etcd are, and which Kubernetes version they are. */
export interface KubeBinaries {
  binDir: string;
  kubeApiServer: string;
  etcd: string;
  /** e.g. `1.37.2`, from KUBE_VERSION or test/peers/kube/VERSION. */
  version: string;
}

const BUILD_SCRIPT = join(import.meta.dirname, 'build.sh');

/**
 * Returns the cached binaries of the pinned version, building them first when the cache
 * (`~/.cache/ecr-refresh/kube/v<version>/bin`) is missing: about 7 minutes on 2 cores, with
 * the build's progress streamed to stderr. A cached run costs one `bash` start.
 */
export async function ensureKubeBinaries(): Promise<KubeBinaries> {
  const version = process.env['KUBE_VERSION'] ?? (await readFile(join(import.meta.dirname, 'VERSION'), 'utf8')).trim();
  const binDir = (await runScript(BUILD_SCRIPT, [], { ...process.env, KUBE_VERSION: version })).split('\n').pop() ?? '';
  if (binDir === '') throw new Error(`${BUILD_SCRIPT} printed no bin dir`);
  return { binDir, kubeApiServer: join(binDir, 'kube-apiserver'), etcd: join(binDir, 'etcd'), version };
}
