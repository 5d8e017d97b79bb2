/**
 * `opensoul completion bash`, driven for real: bash sources the script, sets COMP_WORDS and
 * COMP_CWORD as readline would, calls the completion function and prints COMPREPLY.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bashScript, fishScript, zshScript } from '../../../client/cli/completion.js';
import { COMMAND_TABLE } from '../../../client/cli/table.js';
import { PROVIDERS } from '../../../ipc/providers.js';
import { cli, tempDir } from '../../support/harness.js';

const providers = PROVIDERS.map((p) => p.id);

describe('shell completion from the command table', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'opensoul-completion-'));
    writeFileSync(path.join(dir, 'opensoul.bash'), bashScript(COMMAND_TABLE, providers));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** COMPREPLY for a command line whose last word is being typed. */
  function complete(words: string[]): string[] {
    const script = `source ${JSON.stringify(path.join(dir, 'opensoul.bash'))}
COMP_WORDS=(${['opensoul', ...words].map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length}
_opensoul
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  it('completes the command words at each level', () => {
    assert.deepEqual(complete(['']).sort(), COMMAND_TABLE.subcommands?.map((c) => c.name).sort());
    assert.deepEqual(complete(['mo']), ['models']);
    assert.deepEqual(complete(['models', 'auth', 'pa']).sort(), ['paste-api-key', 'paste-token']);
    assert.deepEqual(complete(['models', 'auth', 'order', '']).sort(), ['clear', 'get', 'set']);
    assert.deepEqual(complete(['completion', '']).sort(), ['bash', 'fish', 'zsh']);
  });

  it('completes the flags of the command typed so far, past other flags and their values', () => {
    assert.deepEqual(complete(['models', 'status', '--probe-t']), ['--probe-timeout']);
    assert.ok(complete(['models', 'auth', 'paste-token', '--agent', 'work', '--']).includes('--expires-in'));
    assert.ok(!complete(['models', 'auth', 'list', '--']).includes('--expires-in'));
    assert.deepEqual(
      complete(['gateway', 'logs', '-'])
        .filter((f) => f === '-n' || f === '-f')
        .sort(),
      ['-f', '-n'],
    );
  });

  it('completes provider ids after --provider, and nothing after --', () => {
    assert.deepEqual(complete(['models', 'auth', 'paste-token', '--provider', '']).sort(), [...providers].sort());
    assert.deepEqual(complete(['models', 'auth', 'paste-token', '--provider', 'ant']), ['anthropic']);
    assert.deepEqual(complete(['exec', '--', 'mo']), []);
  });

  it('`opensoul completion bash` prints that script (the real CLI); an unknown shell is a usage error', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const r = await cli(['completion', 'bash'], { stateDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, bashScript(COMMAND_TABLE, providers));
    const bad = await cli(['completion', 'tcsh'], { stateDir });
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /^opensoul: completion expects bash, zsh or fish, got "tcsh"\nUsage: opensoul completion \[options\] <shell>$/m);
  });

  it('zsh and fish scripts name every command and flag', () => {
    const zsh = zshScript(COMMAND_TABLE, providers);
    assert.match(zsh, /bashcompinit/);
    const fish = fishScript(COMMAND_TABLE, providers);
    for (const word of ['paste-token', 'probe-timeout', 'anthropic', 'logout']) assert.ok(fish.includes(word) || zsh.includes(word), word);
  });
});
