/**
 * `npm test`'s serial run, after the parallel one (test/parallel.mocharc.cjs, which leaves these
 * files out): files that must not share the machine with other tests.
 *
 * - socket-fallback takes over the fixed `/tmp/opensoul-<uid>/` dir that every daemon with a long
 *   state-dir path uses.
 */
module.exports = {
  ...require('../.mocharc.json'),
  spec: ['test/e2e/socket-fallback.test.ts'],
};
