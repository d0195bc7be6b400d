// `npm run image`: builds the ecr-refresh image here, where no base image can be pulled. Makes
// the local Node base when it is missing (Debian minbase + the pinned Node binary + npm, cached
// by version), then builds the repository's Containerfile with NODE_IMAGE pointing at that base
// and tags the result with the CLI's version. Prints the tag on stdout, progress on stderr.
import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { podman, podmanChecked, podmanUnavailableReason } from './podman.ts';

/** The Debian release of the local base (the one these machines run). */
const DEBIAN_SUITE = 'bookworm';
/** npm in the local base, for the Containerfile's build stage: the version that writes the lockfile here. */
const NPM_VERSION = '11.19.1';
const ROOT = join(import.meta.dirname, '..', '..');
const BASE_SCRIPT = join(import.meta.dirname, 'base-rootfs.sh');
const BUILD_TIMEOUT_MS = 20 * 60_000;

/** The repository name every manifest, the chart and the catalog template pull. */
export const IMAGE_REPOSITORY = 'ecr-refresh/ecr-refresh';

/** A built image: its tag, the version it carries, and the base it was built on. */
export interface BuiltImage {
  /** As podman names it, e.g. `localhost/ecr-refresh/ecr-refresh:0.1.0`. */
  tag: string;
  version: string;
  /** The local Node base (no ecr-refresh in it): the "plain node image" of the benchmark. */
  baseImage: string;
}

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  /** Default `ecr-refresh/ecr-refresh:<version>`; tests pass a tag of their own and remove it. */
  tag?: string;
  /** Stream the build's steps to stderr (default true); without, a failure still names its last steps. */
  showProgress?: boolean;
}

/** The version in packages/cli/package.json: the one `ecr-refresh --version` prints. */
export async function cliVersion(): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8'),
  ) as { version?: unknown };
  if (typeof manifest.version !== 'string')
    throw new Error('packages/cli/package.json has no version');
  return manifest.version;
}

/**
 * Returns the local Node base image, importing it into podman when missing. Its root filesystem
 * comes from `base-rootfs.sh`: cached as a tarball, made in about a minute when cold.
 */
export async function ensureBaseImage(): Promise<string> {
  const nodeDir = join(ROOT, 'node_modules', 'node');
  const nodeManifest = JSON.parse(await readFile(join(nodeDir, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof nodeManifest.version !== 'string')
    throw new Error(`${nodeDir}: the pinned node devDependency is not installed (npm ci)`);
  const tarball = await runScript(BASE_SCRIPT, [
    DEBIAN_SUITE,
    join(nodeDir, 'bin', 'node'),
    nodeManifest.version,
    NPM_VERSION,
  ]);
  // The cache folder's name is the base's whole key (suite, versions, recipe hash).
  const image = `localhost/ecr-refresh/node-base:${basename(dirname(tarball)).replace(/^base-/, '')}`;
  if ((await podman(['image', 'exists', image])).status === 0) return image;
  process.stderr.write(`[image] importing ${tarball} as ${image}\n`);
  await podmanChecked(
    [
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["node"]',
      tarball,
      image,
    ],
    { timeoutMs: 5 * 60_000 },
  );
  return image;
}

/**
 * Builds the Containerfile on the local base and tags it. Layers are cached by podman, so an
 * unchanged tree rebuilds in seconds; a changed one reruns `npm run build` in the build stage.
 * Rejects when podman cannot run here, naming why.
 */
export async function buildImage(options: BuildImageOptions = {}): Promise<BuiltImage> {
  const unavailable = await podmanUnavailableReason();
  if (unavailable !== undefined) throw new Error(unavailable);
  const version = await cliVersion();
  const baseImage = await ensureBaseImage();
  const tag = qualified(options.tag ?? `${IMAGE_REPOSITORY}:${version}`);
  process.stderr.write(
    `[image] building ${tag} on ${baseImage} (seconds when podman's layer cache holds it; a minute or two when not)\n`,
  );
  // The build stage's npm ci reaches the npm registry: host networking spares the sandbox a
  // bridge network, and the CA bundle the host trusts is lent to it.
  const extraCa = await trustedCaBundle();
  await podmanChecked(
    [
      'build',
      '--file',
      join(ROOT, 'Containerfile'),
      '--network',
      'host',
      '--build-arg',
      `NODE_IMAGE=${baseImage}`,
      '--build-arg',
      `VERSION=${version}`,
      ...(extraCa === undefined ? [] : ['--secret', `id=ca,src=${extraCa}`]),
      '--tag',
      tag,
      ROOT,
    ],
    { timeoutMs: BUILD_TIMEOUT_MS, showProgress: options.showProgress ?? true },
  );
  return { tag, version, baseImage };
}

/**
 * The CA bundle lent to the build stage: NODE_EXTRA_CA_CERTS, else this machine's system bundle,
 * so that the build trusts what the host trusts (a TLS-intercepting proxy's CA included).
 */
async function trustedCaBundle(): Promise<string | undefined> {
  const candidates = [
    process.env.NODE_EXTRA_CA_CERTS,
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
  ];
  for (const candidate of candidates) {
    if (
      candidate !== undefined &&
      candidate !== '' &&
      (await access(candidate).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return undefined;
}

/** podman stores a name without a registry under `localhost/`: say so, so that tags compare equal. */
function qualified(tag: string): string {
  const first = tag.split('/')[0] ?? '';
  const hasRegistry =
    tag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? tag : `localhost/${tag}`;
}

/** Runs a bash script with its progress on our stderr; resolves with the last line it printed. */
function runScript(path: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('close', (status) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (status === 0 && last !== '') resolve(last);
      else reject(new Error(`${path} failed (exit ${status}); its progress is above on stderr`));
    });
  });
}

if (import.meta.main) {
  const built = await buildImage();
  process.stderr.write(`[image] built ${built.tag} on ${built.baseImage}\n`);
  process.stdout.write(`${built.tag}\n`);
}
