/**
 * No source line is wider than prettier's print width. Prettier cannot break a long string,
 * template, regex or comment, so `prettier --check` alone lets such a line through; this test
 * names each one (file:line) so it is split by hand.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../support/harness.js';

const PRINT_WIDTH = (JSON.parse(readFileSync(path.join(REPO, '.prettierrc.json'), 'utf8')) as { printWidth: number }).printWidth;

/** The git-tracked .ts/.mjs/.js files; dist/ and node_modules/ are never tracked, and skipped if they ever are. */
function trackedSources(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.mjs', '*.js'], { cwd: REPO, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => f !== '' && !/^(?:dist|node_modules)\//.test(f))
    .filter((f) => existsSync(path.join(REPO, f))); // a tracked file deleted in the work tree has nothing to check
}

describe('source line width', function () {
  it(`no line of a tracked .ts/.mjs/.js file is over the print width of .prettierrc.json (${PRINT_WIDTH})`, () => {
    const files = trackedSources();
    assert.ok(files.length > 0, 'git ls-files found no sources');
    const over: string[] = [];
    for (const f of files) {
      const lines = readFileSync(path.join(REPO, f), 'utf8').split(/\r?\n/);
      // Characters, not UTF-16 units or bytes: `→` or `—` counts once, as prettier counts it.
      for (const [i, line] of lines.entries()) {
        const width = [...line].length;
        if (width > PRINT_WIDTH) over.push(`${f}:${i + 1} (${width} characters)`);
      }
    }
    assert.deepEqual(over, [], `lines over ${PRINT_WIDTH} characters:\n${over.join('\n')}`);
  });
});
