/** daemon/import/source-files: which OpenClaw files an import trusts (pure rule; the reads themselves are covered end to end). */
import assert from 'node:assert/strict';
import { untrusted } from '../../../daemon/import/source-files.js';

describe('import source files: who may have written them', () => {
  const me = { uid: 1000, gid: 1000 };
  it("trusts our files and root's, unless others can write to them", () => {
    assert.equal(untrusted({ uid: 1000, gid: 1000, mode: 0o100600 }, me), null);
    assert.equal(untrusted({ uid: 0, gid: 0, mode: 0o100644 }, me), null);
    assert.match(untrusted({ uid: 1001, gid: 1000, mode: 0o100600 }, me) ?? '', /belongs to uid 1001/);
    assert.match(untrusted({ uid: 1000, gid: 1000, mode: 0o100666 }, me) ?? '', /writable by other users/);
  });

  it('accepts group-writable only for a user-private group (Debian, Ubuntu), not a primary group every user shares (macOS staff)', () => {
    assert.equal(untrusted({ uid: 1000, gid: 1000, mode: 0o100664 }, me), null, 'umask 002 under user-private groups');
    const mac = { uid: 501, gid: 20 };
    assert.match(untrusted({ uid: 501, gid: 20, mode: 0o100664 }, mac) ?? '', /writable by other users/, 'staff is every user of the Mac');
    assert.match(untrusted({ uid: 1000, gid: 100, mode: 0o100664 }, { uid: 1000, gid: 100 }) ?? '', /writable by other users/, "SUSE's users group");
    assert.match(untrusted({ uid: 1000, gid: 1234, mode: 0o100664 }, me) ?? '', /writable by other users/, 'another group');
  });
});
