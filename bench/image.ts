// Image benchmark (issue 8): the ecr-refresh image against the plain Node image it is built on
// (the same local base: Debian minbase + the pinned Node binary + npm, made by deploy/image).
// Sizes: unpacked as podman stores it, compressed as gzip (level 6, what a registry push uses)
// of `podman save`'s archive, and the layer count. Start-up: wall time of `podman run --rm`
// from spawn to exit, `ecr-refresh --version` and `--help` against `node --version`, interleaved in
// one run with the hardened settings of the manifests (read-only, no tmpfs: the image's compile
// cache is the one baked into it). BENCH_BASELINE_IMAGE=<another tag> adds its `--version` and
// `--help` to the same interleaving. Writes bench/results/image.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { buildImage } from '../deploy/image/build.ts';
import { podman, podmanChecked, spawnPodman } from '../deploy/image/podman.ts';
import { describeMachine, round, summarize } from './machine.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const BASELINE = process.env.BENCH_BASELINE_IMAGE;
const HARDENED = [
  '--read-only',
  '--read-only-tmpfs=false',
  '--user',
  '65532:65532',
  '--cap-drop=ALL',
  '--security-opt',
  'no-new-privileges',
  '--network',
  'none',
];
const MiB = 2 ** 20;

interface Subject {
  name: string;
  image: string;
  /** What runs in the container, after the image. */
  args: string[];
}

/** Bytes of gzip -6 over `podman save`'s docker-archive of `image`. */
async function compressedBytes(image: string): Promise<number> {
  const child = await spawnPodman(['save', '--format', 'docker-archive', image]);
  let bytes = 0;
  const gzip = child.stdout.pipe(createGzip({ level: 6 }));
  gzip.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const [status] = await Promise.all([
    new Promise<number | null>((resolve) => child.once('close', resolve)),
    new Promise<void>((resolve, reject) => gzip.once('end', resolve).once('error', reject)),
  ]);
  if (status !== 0) throw new Error(`podman save ${image} exited ${status}`);
  return bytes;
}

async function describeImage(
  image: string,
): Promise<{ unpackedMiB: number; compressedMiB: number; layers: number }> {
  const [size, layers] = (
    await podmanChecked(['image', 'inspect', '--format', '{{.Size}} {{len .RootFS.Layers}}', image])
  )
    .split(' ')
    .map(Number);
  return {
    unpackedMiB: round((size ?? Number.NaN) / MiB),
    compressedMiB: round((await compressedBytes(image)) / MiB),
    layers: layers ?? Number.NaN,
  };
}

async function startupMs(subject: Subject): Promise<number> {
  const started = process.hrtime.bigint();
  const run = await podman(['run', '--rm', ...HARDENED, subject.image, ...subject.args], {
    timeoutMs: 60_000,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${subject.name} exited ${run.status}: ${run.stderr}`);
  return ms;
}

const built = await buildImage({ showProgress: false });
const subjects: Subject[] = [
  { name: 'plain node image: node --version', image: built.baseImage, args: ['node', '--version'] },
  { name: 'ecr-refresh image: --version', image: built.tag, args: ['--version'] },
  { name: 'ecr-refresh image: --help', image: built.tag, args: ['--help'] },
  ...(BASELINE === undefined
    ? []
    : [
        { name: 'baseline image: --version', image: BASELINE, args: ['--version'] },
        { name: 'baseline image: --help', image: BASELINE, args: ['--help'] },
      ]),
];
// One warm-up each: the first start fills the page cache and podman's storage caches.
for (const subject of subjects) await startupMs(subject);
const samples = new Map(subjects.map((subject) => [subject.name, [] as number[]]));
for (let i = 0; i < RUNS; i += 1) {
  for (const subject of subjects) samples.get(subject.name)?.push(await startupMs(subject));
}
const plain = await describeImage(built.baseImage);
const ours = await describeImage(built.tag);
const plainStartup = summarize(samples.get(subjects[0]?.name ?? '') ?? []);
const oursStartup = summarize(samples.get(subjects[1]?.name ?? '') ?? []);
const result = {
  benchmark: 'image',
  machine: {
    ...describeMachine(),
    podman: (await podmanChecked(['--version'])).replace(/^podman version /, ''),
    runtime: 'runc, cgroupfs',
  },
  runsPerSubject: RUNS,
  startupToExitMs: Object.fromEntries(
    subjects.map((subject) => [subject.name, summarize(samples.get(subject.name) ?? [])]),
  ),
  ...(BASELINE === undefined ? {} : { baseline: BASELINE }),
  images: {
    plainNode: { image: built.baseImage, ...plain, startupToExitMs: plainStartup },
    ecrRefresh: { image: built.tag, ...ours, startupToExitMs: oursStartup },
  },
  ecrRefreshOverPlainNode: {
    unpackedMiB: round(ours.unpackedMiB - plain.unpackedMiB),
    compressedMiB: round(ours.compressedMiB - plain.compressedMiB),
    layers: ours.layers - plain.layers,
    startupRatio: round(oursStartup.median / plainStartup.median),
  },
};
writeFileSync(
  join(import.meta.dirname, 'results', 'image.json'),
  `${JSON.stringify(result, null, 2)}\n`,
);
for (const [name, figures] of Object.entries(result.images)) {
  process.stdout.write(
    `${name.padEnd(11)} ${String(figures.unpackedMiB).padStart(6)} MiB unpacked ${String(figures.compressedMiB).padStart(6)} MiB gzip ${figures.layers} layers  start-up to exit median ${figures.startupToExitMs.median} ms p90 ${figures.startupToExitMs.p90} ms\n`,
  );
}
for (const [name, figures] of Object.entries(result.startupToExitMs))
  process.stdout.write(`${name.padEnd(36)} median ${figures.median} ms p90 ${figures.p90} ms\n`);
process.stdout.write(
  `ecr-refresh over plain node: ${JSON.stringify(result.ecrRefreshOverPlainNode)}\n`,
);
