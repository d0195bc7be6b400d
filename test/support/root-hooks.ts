// Mocha root hooks: strict nock rules for unit tests, and peers stopped once at the end.
import nock from 'nock';
import { stopAllPeers } from '../peers/index.ts';

export const mochaHooks = {
  beforeAll(): void {
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
