/** The README is for users: it stands alone, with no pointer to files they do not have. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../support/harness.js';

describe('README', function () {
  it('points to no document outside the repo (../shared, SPEC.md) and no issue numbers', () => {
    const text = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    assert.doesNotMatch(text, /\.\.\/shared|\bSPEC\b|§|\bissue #?\d+/i);
  });
});
