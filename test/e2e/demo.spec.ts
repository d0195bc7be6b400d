// `npm run demo` on a machine without Go and Java: it runs what needs neither, says what it
// skipped and how to enable it, and exits 0; and the kube-apiserver peer's KUBEBUILDER_ASSETS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  ensureKubeBinaries,
  kubeBinariesFromAssets,
  pinnedKubeVersion,
} from '../peers/kube/binaries.ts';

const DEMO = join(import.meta.dirname, '..', 'demo.ts');
// What a machine without Go, Java and Maven lacks.
const HIDDEN = new Set(['go', 'gofmt', 'java', 'javac', 'jar', 'jshell', 'mvn', 'mvnDebug']);

/** A bin directory with a symlink to every command on PATH (first one wins) except the hidden ones. */
async function pathWithout(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const seen = new Set<string>();
  for (const from of (process.env.PATH ?? '').split(delimiter)) {
    const names = await readdir(from).catch(() => [] as string[]);
    for (const name of names) {
      if (HIDDEN.has(name) || seen.has(name)) continue;
      seen.add(name);
      await symlink(join(from, name), join(bin, name));
    }
  }
  return bin;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs test/demo.ts (the CLI is already built) with the given environment changes. */
function runDemo(env: Record<string, string | undefined>): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run demo without Go and Java', function () {
  this.timeout(240_000);
  let dir: string;
  let noGoNoJava: Record<string, string | undefined>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-demo-spec-'));
    const emptyCache = join(dir, 'cache');
    await mkdir(emptyCache);
    // A fresh machine: no Go, Java or Maven on PATH, nothing cached, no KUBEBUILDER_ASSETS.
    noGoNoJava = {
      PATH: await pathWithout(dir),
      ECR_REFRESH_CACHE: emptyCache,
      JAVA_HOME: undefined,
      KUBEBUILDER_ASSETS: undefined,
      KUBE_VERSION: undefined,
    };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the config.json part, skips Rancher 1.x and Kubernetes in one line each naming the fix, and exits 0', async () => {
    const run = await runDemo(noGoNoJava);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /== Docker config\.json ==/);
    assert.match(
      run.stdout,
      /config\.json holds credentials for: 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/,
    );
    assert.match(
      run.stdout,
      /^== Rancher 1\.x: skipped: no Java 17 .*enable with: apt-get install openjdk-17-jdk-headless maven ==$/m,
    );
    assert.match(
      run.stdout,
      /^== Kubernetes: skipped: no kube-apiserver .*enable with Go 1\.26 .*go1\.26\.\d+\.linux-.*KUBEBUILDER_ASSETS.* ==$/m,
    );
    assert.match(run.stdout, /Demo done \(skipped: Rancher 1\.x, Kubernetes; /);
    assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /, 'no stack trace');
    // The order: what needs nothing first.
    assert.ok(run.stdout.indexOf('== Docker config.json') < run.stdout.indexOf('== Rancher 1.x'));
    assert.ok(run.stdout.indexOf('== Rancher 1.x') < run.stdout.indexOf('== Kubernetes'));
  });

  it('runs the Kubernetes part on the binaries KUBEBUILDER_ASSETS names, with no Go and nothing cached', async () => {
    const cached = await ensureKubeBinaries(); // the cache (built first on a cold machine)
    const run = await runDemo({ ...noGoNoJava, KUBEBUILDER_ASSETS: cached.binDir });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`a kube-apiserver with RBAC on \\(from KUBEBUILDER_ASSETS=${cached.binDir}\\)`),
    );
    assert.match(
      run.stdout,
      new RegExp(
        `== Kubernetes: kube-apiserver v${cached.version.replaceAll('.', '\\.')} at https://127\\.0\\.0\\.1:\\d+ ==`,
      ),
    );
    assert.match(
      run.stdout,
      /team-a\/ecr-pull-credentials: kubernetes\.io\/dockerconfigjson, expires /,
    );
    assert.match(run.stdout, /Demo done \(skipped: Rancher 1\.x; /);
  });

  it('refuses a KUBEBUILDER_ASSETS without etcd in one line naming the variable, and exits 1', async () => {
    const assets = join(dir, 'assets-without-etcd');
    await mkdir(assets);
    await writeFile(join(assets, 'kube-apiserver'), '#!/bin/sh\necho Kubernetes v1.37.2\n');
    await chmod(join(assets, 'kube-apiserver'), 0o755);
    const run = await runDemo({ ...noGoNoJava, KUBEBUILDER_ASSETS: assets });
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `^demo failed: KUBEBUILDER_ASSETS=${assets} must hold executable kube-apiserver and etcd .*${assets}/etcd is missing or not executable$`,
        'm',
      ),
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('kube-apiserver binaries from KUBEBUILDER_ASSETS', function () {
  this.timeout(20 * 60_000); // a cold cache builds the binaries first

  it('are used before the cache and the Go build, their version read from kube-apiserver --version', async () => {
    const cached = await ensureKubeBinaries({ ...process.env, KUBEBUILDER_ASSETS: '' });
    const fromAssets = await ensureKubeBinaries({
      ...process.env,
      KUBEBUILDER_ASSETS: cached.binDir,
      KUBE_VERSION: '1.0.0',
    });
    assert.deepEqual(fromAssets, {
      binDir: cached.binDir,
      kubeApiServer: join(cached.binDir, 'kube-apiserver'),
      etcd: join(cached.binDir, 'etcd'),
      version: await pinnedKubeVersion({}),
    });
  });

  it('are refused, naming the variable, when the directory does not exist', async () => {
    await assert.rejects(
      kubeBinariesFromAssets('/nonexistent/kubebuilder/bin'),
      /^Error: KUBEBUILDER_ASSETS=\/nonexistent\/kubebuilder\/bin must hold executable kube-apiserver and etcd .* are missing or not executable$/,
    );
  });
});
