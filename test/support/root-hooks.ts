// Mocha root hooks: strict nock rules for unit tests, and peers stopped once at the end.
import type { Suite } from 'mocha';
import nock from 'nock';
import { prewarmCattle, prewarmRancher2, stopAllPeers } from '../peers/index.ts';

// Suites that use the real Cattle: its first start (20–50 s) overlaps the suites before them.
const CATTLE_SUITES = /\/test\/(e2e\/rancher1-[^/]*|peers\/cattle\/[^/]*)\.spec\.ts$/;
// Suites that use the real Rancher 2.x: its build (once per machine) and start overlap the others.
const RANCHER2_SUITES = /\/test\/(e2e\/rancher2-server[^/]*|peers\/rancher2\/[^/]*)\.spec\.ts$/;

function files(suite: Suite): string[] {
  return [...(suite.file === undefined ? [] : [suite.file]), ...suite.suites.flatMap(files)];
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    const root = this.test?.parent;
    const suiteFiles = root === undefined ? [] : files(root);
    if (suiteFiles.some((file) => CATTLE_SUITES.test(file))) prewarmCattle();
    if (suiteFiles.some((file) => RANCHER2_SUITES.test(file))) prewarmRancher2();
    // Unit tests never reach the network; end-to-end suites talk to peers on loopback only.
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/);
  },
  afterEach(): void {
    // A test that left a mock unused expected a request that never came: fail loudly.
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (pending.length > 0) throw new Error(`unused HTTP mocks: ${pending.join(', ')}`);
  },
  async afterAll(): Promise<void> {
    await stopAllPeers();
  },
};
