import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PeerRecord } from './peer-record.ts';

/** Where `testenv up` keeps its peers' directories and state: gitignored, in the repo root. */
export const TESTENV_DIR = resolve(import.meta.dirname, '..', '..', '.testenv');
const STATE_PATH = join(TESTENV_DIR, 'state.json');

/** What `testenv up` started, enough for `status` and `down` from another process. */
export interface TestenvState {
  startedAt: string;
  kube: {
    record: PeerRecord;
    server: string;
    kubeconfigPath: string;
    caPath: string;
    version: string;
  };
  moto: { record: PeerRecord; endpoint: string };
  tinyproxy: { record: PeerRecord; url: string };
}

/** The recorded environment, or undefined when none is up. */
export async function readTestenvState(): Promise<TestenvState | undefined> {
  try {
    return JSON.parse(await readFile(STATE_PATH, 'utf8')) as TestenvState;
  } catch {
    return undefined;
  }
}

/** Records a started environment (mode 0600: it names the admin key's path). */
export async function writeTestenvState(state: TestenvState): Promise<void> {
  await mkdir(TESTENV_DIR, { recursive: true });
  await writeFile(STATE_PATH, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Forgets the environment once it is stopped. */
export async function removeTestenvState(): Promise<void> {
  await rm(STATE_PATH, { force: true });
}
