/**
 * What an idle daemon loads: the bundle (dist/gateway.mjs, built by `npm test`'s pretest) imports
 * node:http only where a browser login or the proxy starts (an idle daemon that never loads it is
 * ~0.5 MiB smaller), and statically only the built-in modules the start itself needs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const STARTS_WITH = [
  // child_process: net's listen loads it anyway (through cluster).
  'node:child_process',
  'node:crypto',
  'node:events',
  'node:fs',
  'node:fs/promises',
  'node:module',
  'node:net',
  'node:os',
  'node:path',
  'node:stream',
  'node:url',
  'node:util',
];

describe('the daemon bundle', function () {
  const bundle = readFileSync(new URL('../../dist/gateway.mjs', import.meta.url), 'utf8');

  it('imports node:http and node:https only on demand (dynamic import), and no other built-in at start beyond its list', () => {
    const dynamic = [...bundle.matchAll(/import\("(node:[a-z_/]+)"\)/g)].map((m) => m[1]);
    assert.ok(dynamic.includes('node:http') && dynamic.includes('node:https'), `dynamic imports: ${dynamic.join(', ')}`);
    const atStart = [...new Set([...bundle.matchAll(/from\s*"(node:[a-z_/]+)"/g)].map((m) => m[1] as string))].sort();
    assert.deepEqual(
      atStart.filter((m) => !STARTS_WITH.includes(m)),
      [],
      `static imports: ${atStart.join(', ')}`,
    );
  });
});
