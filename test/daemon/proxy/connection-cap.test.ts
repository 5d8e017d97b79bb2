/** daemon/proxy/connection-cap: the open-file limit as /proc shows it, and the cap it leaves the proxy. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { FILE_LIMIT_SHARE, connectionCap, openFileLimit, parseOpenFileLimit } from '../../../daemon/proxy/connection-cap.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
`;

describe('proxy connection cap', () => {
  it('reads the soft open-file limit, and none when it is unlimited or missing', () => {
    assert.equal(parseOpenFileLimit(LIMITS), 1024);
    assert.equal(parseOpenFileLimit(LIMITS.replace('1024 ', 'unlimited ')), null);
    assert.equal(parseOpenFileLimit('Max processes 10 10 processes\n'), null);
    assert.equal(parseOpenFileLimit(''), null);
  });

  it("reads this process's own limit on Linux", function () {
    if (process.platform !== 'linux') this.skip();
    const row = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    assert.equal(openFileLimit(), row ? Number(row[1]) : null);
  });

  it('is the setting, lowered to a quarter of the open-file limit; never below 1', () => {
    assert.equal(connectionCap(1024, null), 1024);
    assert.equal(connectionCap(1024, 524_288), 1024);
    assert.equal(connectionCap(1024, 1024), 256);
    assert.equal(connectionCap(1024, 512), 128);
    assert.equal(connectionCap(1024, 2), 1);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.integer({ min: 0, max: 1 << 22 }), (setting, limit) => {
        const cap = connectionCap(setting, limit);
        assert.ok(cap >= 1 && cap <= setting);
        assert.ok(cap <= Math.max(1, limit * FILE_LIMIT_SHARE));
      }),
    );
  });
});
