/** The pure parts of `opensoul exec` (client/exec/run-exec.ts): whether a terminal's Ctrl-C reaches the child by itself, and the child's environment. */
import assert from 'node:assert/strict';
import { childEnv, foregroundOfTerminal } from '../../../client/exec/run-exec.js';

/** A /proc/<pid>/stat line with the fields that matter (pid, comm, state, ppid, pgrp, session, tty_nr, tpgid) and the rest zero. */
const stat = (o: { comm?: string; pgrp: number; tty: number; tpgid: number }) =>
  `4242 (${o.comm ?? 'node'}) S 4200 ${o.pgrp} 4100 ${o.tty} ${o.tpgid} 4194304 ${Array.from({ length: 40 }, () => '0').join(' ')}\n`;

describe('exec: a terminal signal reaches the child by itself', function () {
  it('only in the foreground process group of a controlling terminal', function () {
    assert.equal(foregroundOfTerminal(stat({ pgrp: 4242, tty: 34816, tpgid: 4242 })), true, 'the foreground job');
    assert.equal(foregroundOfTerminal(stat({ pgrp: 4242, tty: 34816, tpgid: 4300 })), false, 'a background job');
    assert.equal(foregroundOfTerminal(stat({ pgrp: 4242, tty: 0, tpgid: -1 })), false, 'no controlling terminal');
  });

  it('reads the fields after the command name, whatever it holds', function () {
    assert.equal(foregroundOfTerminal(stat({ comm: 'a) S 1 2 3 4 5 (b', pgrp: 7, tty: 34816, tpgid: 7 })), true);
    assert.equal(foregroundOfTerminal(stat({ comm: 'x y', pgrp: 7, tty: 34816, tpgid: 8 })), false);
  });
});

describe("exec: the child's environment", function () {
  it("sets the resolved variables over the caller's and drops the competing ones; the rest is the caller's", function () {
    const v = (name: string, value: string) => ({ name, value, provider: 'anthropic', profileId: null, source: 'profile' as const });
    const env = childEnv(
      { PATH: '/bin', ANTHROPIC_API_KEY: 'callers', ANTHROPIC_AUTH_TOKEN: 'callers', CLAUDE_CODE_OAUTH_TOKEN: 'callers' },
      [v('CLAUDE_CODE_OAUTH_TOKEN', 'resolved')],
      [{ name: 'ANTHROPIC_API_KEY' }, { name: 'ANTHROPIC_AUTH_TOKEN' }],
    );
    assert.deepEqual(env, { PATH: '/bin', CLAUDE_CODE_OAUTH_TOKEN: 'resolved' });
  });
});
