'use strict';
// Mocha's spec reporter plus the one closing line CI reads: `N passed, N failed, N skipped`.
// A run that executed no test is a failure: mocha itself would exit 0.
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class VerdictReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      if (passes + failures === 0) {
        process.stdout.write('\nno test was executed\n');
        process.exitCode = 1;
      }
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = VerdictReporter;
