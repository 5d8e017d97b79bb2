/** client/render/table: columns as wide as their widest cell, escape codes not counted. */
import assert from 'node:assert/strict';
import { alignRows, visibleWidth } from '../../../client/render/table.js';
import { makeStyle } from '../../../client/render/style.js';

describe('alignRows', () => {
  it('pads every column to its widest cell and trims the end of each line', () => {
    const lines = alignRows([
      ['anthropic:a', 'token', 'ok'],
      ['openai:default', 'api_key', ''],
    ]);
    assert.deepEqual(lines, ['anthropic:a     token    ok', 'openai:default  api_key']);
  });

  it('ignores colour codes when measuring, and drops a column empty in every row', () => {
    const s = makeStyle(true);
    const lines = alignRows([
      [s.red('x'), '', 'a'],
      ['yyy', '', 'b'],
    ]);
    assert.equal(visibleWidth(lines[0] ?? ''), 'yyy  a'.length);
    assert.equal(lines[1], 'yyy  b');
  });
});
