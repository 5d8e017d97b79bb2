/** Root hooks: every test's processes and temp dirs are cleaned up, also when it fails. */
import { cleanupAll } from './harness.js';

export const mochaHooks = {
  async afterEach(): Promise<void> {
    await cleanupAll();
  },
};
