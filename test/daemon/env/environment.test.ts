/** daemon/env: §4's precedence, sources, and .env parsing. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDotenv } from '../../../daemon/env/dotenv-file.js';
import { firstEnvKey, resolveEnvironment } from '../../../daemon/env/environment.js';

describe('effective environment (§4)', () => {
  const sources = (process: Record<string, string>, dotenv: Record<string, string>, config: Record<string, string>, shell?: Record<string, string>) => ({
    process,
    dotenv: { values: dotenv, path: '/s/.env' },
    config: { values: config, path: '/s/opensoul.json' },
    ...(shell ? { shell: { values: shell, allowed: new Set(['OPENAI_API_KEY']) } } : {}),
  });

  it('takes the first source per key: process, then .env, then config, then the shell (provider keys only)', () => {
    const env = resolveEnvironment(sources({ A: 'p' }, { A: 'd', B: 'd' }, { A: 'c', B: 'c', C: 'c' }, { C: 's', OPENAI_API_KEY: 's', PATH: 's' }));
    assert.deepEqual(env.get('A'), { name: 'A', value: 'p', source: 'process', path: null });
    assert.deepEqual(env.get('B'), { name: 'B', value: 'd', source: 'dotenv', path: '/s/.env' });
    assert.deepEqual(env.get('C'), { name: 'C', value: 'c', source: 'config', path: '/s/opensoul.json' });
    assert.equal(env.get('OPENAI_API_KEY')?.source, 'shell');
    assert.equal(env.get('PATH'), undefined, 'the shell import takes only provider key names');
  });

  it('treats an empty value as unset, so it cannot hide a real key from a later source', () => {
    const env = resolveEnvironment(sources({ ANTHROPIC_API_KEY: '' }, { ANTHROPIC_API_KEY: 'from-dotenv' }, {}));
    assert.equal(env.get('ANTHROPIC_API_KEY')?.source, 'dotenv');
  });

  it('picks the first non-empty provider variable in table order', () => {
    const env = resolveEnvironment(sources({ GH_TOKEN: 'gh' }, { COPILOT_GITHUB_TOKEN: 'co' }, {}));
    assert.equal(firstEnvKey(env, ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'])?.name, 'COPILOT_GITHUB_TOKEN');
  });

  it('never lets a later source override an earlier one (property)', () => {
    const rec = fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D'), fc.string({ minLength: 1, maxLength: 5 }));
    fc.assert(
      fc.property(rec, rec, rec, (p, d, c) => {
        const env = resolveEnvironment(sources(p, d, c));
        for (const [k, e] of env) {
          const expected = p[k] ?? d[k] ?? c[k];
          assert.equal(e.value, expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('.env parsing', () => {
  it('reads dotenv syntax and names (by line number only) the lines it ignored', () => {
    const r = parseDotenv('# comment\nexport A=1\nB="two\nlines"\nthis is not valid sk-ant-SECRET\nC = spaced # trailing\n');
    assert.deepEqual(r.values, { A: '1', B: 'two\nlines', C: 'spaced' });
    assert.deepEqual(r.warnings, ['line 5: not a KEY=value line; ignored']);
    assert.ok(!r.warnings.join('').includes('SECRET'));
  });
});
