/**
 * The socket dir check both sides make before they create, chmod or connect (SPEC §5): the
 * pure judgement over lstat fields, then real dirs — made by another uid (chown, as the tests
 * run as root), opened to 0777, or a symlink to a dir of ours.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkSocketDir, describeSocketDirProblem, judgeSocketDir, socketDirPolicy } from '../../ipc/socket-dir.js';
import { tempDir } from '../support/harness.js';

const ME = process.getuid?.() ?? 0;

function fakeStat(o: { link?: boolean; dir?: boolean; uid?: number; mode?: number }) {
  return {
    isSymbolicLink: () => o.link ?? false,
    isDirectory: () => o.dir ?? true,
    uid: o.uid ?? 1000,
    mode: 0o40000 | (o.mode ?? 0o700),
    dev: 1,
    ino: 2,
  };
}

describe('socket dir check (ipc/socket-dir)', function () {
  it('judges: a 0700 dir of ours is fine; a link, a file, another owner or any group/other bit is not', () => {
    assert.deepEqual(judgeSocketDir(fakeStat({}), 1000, 'private'), { ok: true, dev: 1, ino: 2 });
    assert.deepEqual(judgeSocketDir(fakeStat({ link: true }), 1000, 'private'), { ok: false, problem: 'symlink' });
    assert.deepEqual(judgeSocketDir(fakeStat({ dir: false }), 1000, 'private'), { ok: false, problem: 'not-a-directory' });
    assert.deepEqual(judgeSocketDir(fakeStat({ uid: 65534 }), 1000, 'private'), { ok: false, problem: 'foreign-owner', owner: 65534 });
    for (const mode of [0o777, 0o1777, 0o750, 0o701, 0o710, 0o704]) {
      assert.deepEqual(judgeSocketDir(fakeStat({ mode }), 1000, 'private'), { ok: false, problem: 'open-mode', mode }, mode.toString(8));
    }
  });

  it("judges a dir the person chose (OPENSOUL_SOCKET's): others may search it, never write to it", () => {
    for (const mode of [0o700, 0o711, 0o755]) assert.equal(judgeSocketDir(fakeStat({ mode }), 1000, 'no-foreign-writers').ok, true, mode.toString(8));
    for (const mode of [0o775, 0o757, 0o1777]) assert.equal(judgeSocketDir(fakeStat({ mode }), 1000, 'no-foreign-writers').ok, false, mode.toString(8));
  });

  it('applies the strict rule to the /tmp fallback, the chosen-dir rule to OPENSOUL_SOCKET, none to run/ or a pipe', () => {
    assert.equal(socketDirPolicy({ path: '/tmp/opensoul-1/x.sock', kind: 'fallback', dir: '/tmp/opensoul-1' }), 'private');
    assert.equal(socketDirPolicy({ path: '/s/gw.sock', kind: 'env', dir: '/s' }), 'no-foreign-writers');
    assert.equal(socketDirPolicy({ path: '/st/run/gateway.sock', kind: 'state-dir', dir: '/st/run' }), null);
    assert.equal(socketDirPolicy({ path: '\\\\.\\pipe\\x', kind: 'pipe', dir: null }), null);
  });

  it('checks real dirs with lstat: missing, ours, another uid, 0777, a file, and a symlink to a dir of ours', () => {
    const top = tempDir();
    assert.deepEqual(checkSocketDir(path.join(top, 'none'), ME, 'private'), { ok: false, problem: 'missing' });
    const mine = path.join(top, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    assert.equal(checkSocketDir(mine, ME, 'private').ok, true);
    const foreign = path.join(top, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    assert.deepEqual(checkSocketDir(foreign, ME, 'private'), { ok: false, problem: 'foreign-owner', owner: 65534 });
    const open = path.join(top, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.deepEqual(checkSocketDir(open, ME, 'private'), { ok: false, problem: 'open-mode', mode: 0o777 });
    const file = path.join(top, 'file');
    writeFileSync(file, '');
    assert.deepEqual(checkSocketDir(file, ME, 'private'), { ok: false, problem: 'not-a-directory' });
    const link = path.join(top, 'link');
    symlinkSync(mine, link);
    assert.deepEqual(checkSocketDir(link, ME, 'private'), { ok: false, problem: 'symlink' }, 'never followed, even to a dir of ours');
    const v = checkSocketDir(link, ME, 'private');
    assert.match(describeSocketDirProblem(link, v as Exclude<typeof v, { ok: true }>), /symbolic link/);
  });

  it("follows a link of ours (or root's) to a chosen dir, but not one another user planted", () => {
    const top = tempDir();
    const target = path.join(top, 'target');
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    const link = path.join(top, 'link');
    symlinkSync(target, link);
    assert.equal(checkSocketDir(link, ME, 'no-foreign-writers').ok, true);
    const planted = path.join(top, 'planted');
    symlinkSync(target, planted);
    // The link itself now belongs to nobody, as if nobody had planted it.
    lchownSync(planted, 65534, 65534);
    assert.deepEqual(checkSocketDir(planted, ME, 'no-foreign-writers'), { ok: false, problem: 'symlink' });
  });
});
