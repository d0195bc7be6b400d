// Mocha root hook: after every suite has run, no secret the tests used may appear in anything
// they captured (CLI stdout and stderr, the service's endpoint pages, files written beside the
// credential stores). Registered in .mocharc.json, so it runs
// in CI with the rest; a leak fails the run as a failed "after all" hook.
import { collected, findLeaks } from './leak-collector.ts';

export const mochaHooks = {
  afterAll(): void {
    const { secrets, captures } = collected();
    if (captures.length > 0 && secrets.length === 0) {
      throw new Error(
        `leak check: ${captures.length} outputs were captured but no secret was noted: the collection is broken`,
      );
    }
    const leaks = findLeaks(secrets, captures);
    if (leaks.length > 0) {
      const lines = leaks.map(
        (leak) => `  ${leak.source}: a ${leak.secretLength}-character secret, ${leak.form}`,
      );
      throw new Error(`leak check: secrets found in captured output:\n${lines.join('\n')}`);
    }
  },
};
