/**
 * `.env` edits through the real daemon keep every other line as dotenv reads it: after a line
 * with an unclosed quote nothing is deleted, a key name inside a multi-line PEM is not touched,
 * and an edit that cannot be made safely is refused with its line number, the file unchanged.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import dotenv from 'dotenv';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon } from '../support/harness.js';

describe('.env in-place edits (real daemon, real CLI)', function () {
  this.timeout(60_000);

  it('paste-api-key --target env keeps the lines after an unclosed quote and a PEM that names the key', async () => {
    const d = await startDaemon();
    const pem = '-----BEGIN PRIVATE KEY-----\nOPENAI_API_KEY=this-is-inside-the-pem\nMIIEvQ==\n-----END PRIVATE KEY-----';
    const before = `# keys\r\nBROKEN="never closed\r\nKEEP_ME=still-here\r\nCERT="${pem}"\r\nOPENAI_API_KEY=old-value\r\nexport AFTER=last # note\r\n`;
    writeFileSync(d.paths.dotenv, before, { mode: 0o600 });
    const key = fakeSecret('sk-proj-', 50);
    // A different value is there: refused (nothing changed), then replaced with --force.
    const refused = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: `${key}\n` });
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), before);
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], { input: `${key}\n` });
    assert.equal(r.code, 0, r.stderr);
    const after = readFileSync(d.paths.dotenv, 'utf8');
    assert.equal(after, before.replace('OPENAI_API_KEY=old-value', `OPENAI_API_KEY=${key}`));
    const parsed = dotenv.parse(after);
    assert.equal(parsed.CERT, pem);
    assert.equal(parsed.KEEP_ME, 'still-here');
    assert.equal(parsed.AFTER, 'last');
    await d.call(methods.envUnset, { key: 'OPENAI_API_KEY' });
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), before.replace('OPENAI_API_KEY=old-value\r\n', ''));
    assertNoSecrets([key], { out: r.stdout + r.stderr, log: d.log(), stderr: d.stderr() });
  });

  it('an unset that would let an open quote swallow other lines is refused with the line number; .env is byte-identical', async () => {
    const d = await startDaemon();
    const before = 'NOTE="starts here\nOPENAI_API_KEY="sk-proj-abcdefabcdefabcdefabcdef"\nOTHER=1"\n';
    writeFileSync(d.paths.dotenv, before, { mode: 0o600 });
    const err = await d.call(methods.envUnset, { key: 'OPENAI_API_KEY' }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e as OpenSoulError,
    );
    assert.ok(err instanceof OpenSoulError);
    assert.equal(err.kind, 'ENV_UNSAFE_EDIT');
    assert.equal(err.details.line, 2);
    assert.match(err.message, /line 2/);
    assert.ok(!err.message.includes('sk-proj-abcdef'), 'no value in the message');
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), before);
    assertNoSecrets(['sk-proj-abcdefabcdefabcdefabcdef'], { log: d.log(), stderr: d.stderr() });
  });
});
