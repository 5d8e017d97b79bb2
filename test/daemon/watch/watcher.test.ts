/**
 * daemon/watch/watcher: hints for every file the daemon reads, in directories made after start
 * too; none for the names it does not read (our own lock, temp and aside files); re-armed when
 * the state dir is replaced.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateWatcher, isWatchedPath } from '../../../daemon/watch/watcher.js';
import { tempDir, waitFor } from '../../support/harness.js';

const quiet = { debug: () => undefined, warn: () => undefined };

/** A watcher on `stateDir` and the hints it gave. */
async function watching(stateDir: string): Promise<{ watcher: StateWatcher; hints: string[] }> {
  const hints: string[] = [];
  const watcher = new StateWatcher(stateDir, (reason) => hints.push(reason), quiet);
  await watcher.start();
  return { watcher, hints };
}

describe('state watcher', () => {
  it('reads only the files the daemon reads', () => {
    const s = '/state';
    assert.equal(isWatchedPath(s, '/state/.env'), true);
    assert.equal(isWatchedPath(s, '/state/agents/main/agent/auth-profiles.json'), true);
    assert.equal(isWatchedPath(s, '/state/agents/main/agent/auth-profiles.json.lock'), false);
    assert.equal(isWatchedPath(s, '/state/agents/main/agent/.auth-profiles.json.opensoul-tmp-1-abcd'), false);
    assert.equal(isWatchedPath(s, '/state/logs/gateway.log'), false);
  });

  it('hints for a store written in an agent dir made after start, and not for the lock and temp files beside it', async () => {
    const stateDir = tempDir();
    const { watcher, hints } = await watching(stateDir);
    try {
      const agentDir = path.join(stateDir, 'agents', 'work', 'agent');
      mkdirSync(agentDir, { recursive: true });
      // Made at once, the new dirs are watched a moment later (the reload their hint causes reads what came before).
      const store = path.join(agentDir, 'auth-profiles.json');
      await waitFor(() => {
        writeFileSync(store, '{}');
        return hints.some((h) => h.endsWith(path.join('agent', 'auth-profiles.json')));
      }, 'a hint for a store in the new agent dir');
      hints.length = 0;
      writeFileSync(`${store}.lock`, '{}');
      writeFileSync(path.join(agentDir, '.auth-profiles.json.opensoul-tmp-1-abcd'), '{}');
      renameSync(path.join(agentDir, '.auth-profiles.json.opensoul-tmp-1-abcd'), store);
      await waitFor(() => hints.some((h) => h.endsWith(path.join('agent', 'auth-profiles.json'))), 'a hint for the store');
      assert.deepEqual(
        hints.filter((h) => h.includes('.lock') || h.includes('opensoul-tmp')),
        [],
      );
    } finally {
      await watcher.close();
    }
  });

  it('re-arms on a state dir removed and made again, and hints for its files', async () => {
    const stateDir = tempDir();
    const { watcher, hints } = await watching(stateDir);
    try {
      rmSync(stateDir, { recursive: true });
      mkdirSync(stateDir);
      // Re-armed on the watch's own removal event, without waiting for the periodic check.
      await waitFor(() => {
        writeFileSync(path.join(stateDir, '.env'), 'A=1\n');
        return hints.some((h) => h.endsWith('.env'));
      }, 'a hint for .env in the new state dir');
    } finally {
      await watcher.close();
    }
  });
});
