/**
 * The launcher's first import, so that it is evaluated before anything else in the bundle: on a
 * Node.js older than {@link MINIMUM_NODE_MAJOR} it prints one line naming the version in use and
 * exits 64 (bad input: the wrong `node` on the PATH), instead of failing later in a dependency
 * with an error that says nothing about Node. Uses only globals, no import, so it runs on any Node.
 */
const MINIMUM_NODE_MAJOR = 22;

/** The line to print when `version` (as in `process.versions.node`) is too old; undefined when it is fine. */
function nodeVersionProblem(version: string, execPath: string): string | undefined {
  const major = Number.parseInt(version, 10);
  if (Number.isInteger(major) && major >= MINIMUM_NODE_MAJOR) return undefined;
  return `ecr-refresh needs Node.js ${MINIMUM_NODE_MAJOR} or newer; this is ${version} (${execPath})`;
}

const problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  // ExitStatus.badInput; exit-status.ts is not imported: nothing but this file may load first.
  process.exit(64);
}
