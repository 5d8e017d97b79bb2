/**
 * `opensoul chat` and `opensoul exec` are called like every other command (§7): listed in
 * `opensoul -h`, each with `-h` (usage and examples), "Did you mean" for a typo, exit 64 with the
 * usage for a bad flag — and for `exec` without `--` — and exit 3 when the gateway is not running.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { cli, tempDir } from '../support/harness.js';

const noDaemon = () => ({ stateDir: path.join(tempDir(), 'state') });

describe('chat and exec on the command line (real CLI)', function () {
  it('`opensoul -h` lists chat and exec; each has its own -h with usage and examples', async () => {
    const top = await cli(['-h'], noDaemon());
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^ {2}chat \[options\] +talk to a model/m);
    assert.match(top.stdout, /^ {2}exec \[options\] \[command\.\.\.\] +run a command with your provider credentials/m);
    const chat = await cli(['chat', '-h'], noDaemon());
    assert.equal(chat.code, 0);
    assert.match(chat.stdout, /^Usage: opensoul chat \[options\]$/m);
    assert.match(chat.stdout, /--session <id>[\s\S]*--agent <id>[\s\S]*--model <ref>/);
    assert.match(chat.stdout, /^Examples:\n {2}opensoul chat$/m);
    assert.match(chat.stdout, /\/model sonnet@anthropic:work/);
    const exec = await cli(['exec', '--help'], noDaemon());
    assert.equal(exec.code, 0);
    assert.match(exec.stdout, /^Usage: opensoul exec \[options\] -- <command> \[args\.\.\.\]$/m);
    assert.match(exec.stdout, /^Examples:\n {2}opensoul exec -- claude/m);
    assert.match(exec.stdout, /CLAUDE_CODE_OAUTH_TOKEN/);
  });

  it('a typo gets "Did you mean"; a bad flag or exec without `--` is exit 64 with the command\'s usage', async () => {
    for (const [typo, meant] of [
      ['chta', 'chat'],
      ['exce', 'exec'],
    ]) {
      const r = await cli([typo as string], noDaemon());
      assert.equal(r.code, 64);
      assert.match(r.stderr, new RegExp(`^opensoul: unknown command '${typo}'\\n\\(Did you mean ${meant}\\?\\)`));
    }
    const flag = await cli(['chat', '--bogus'], noDaemon());
    assert.equal(flag.code, 64);
    assert.match(flag.stderr, /^opensoul: unknown option '--bogus'\nUsage: opensoul chat \[options\]\n/);
    for (const args of [['exec'], ['exec', 'env'], ['exec', '--provider', 'openai', 'env']]) {
      const r = await cli(args, noDaemon());
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /opensoul exec \[--provider p …\] -- <command> \[args…\]/);
      assert.match(r.stderr, /^Usage: opensoul exec \[options\] -- <command> \[args\.\.\.\]$/m);
      assert.equal(r.stdout, '');
    }
    const json = await cli(['exec', '--json', 'env'], noDaemon());
    assert.equal(json.code, 64);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'USAGE');
  });

  it('without a running gateway both say so in one line and exit 3; exec runs nothing', async () => {
    const chat = await cli(['chat'], { ...noDaemon(), input: 'hello\n' });
    assert.equal(chat.code, 3, chat.stderr);
    assert.match(chat.stderr, /^opensoul: The OpenSoul gateway is not running/);
    const exec = await cli(['exec', '--', process.execPath, '-e', 'console.log("ran")'], noDaemon());
    assert.equal(exec.code, 3);
    assert.equal(exec.stdout, '');
  });
});
