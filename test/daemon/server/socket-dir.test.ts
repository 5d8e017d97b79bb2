/**
 * The daemon's side of the /tmp fallback dir (SPEC §5): it makes the dir 0700 itself, tightens
 * one of its own that is too open without following a link, and refuses a dir another uid made
 * or a symlink — leaving the link's target exactly as it was (a daemon run as root with a link
 * to /etc must not chmod /etc).
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { UnsafeSocketDirError, ensurePrivateSocketDir } from '../../../daemon/server/socket-dir.js';
import { tempDir } from '../../support/harness.js';

const mode = (p: string) => lstatSync(p).mode & 0o7777;

describe('the daemon prepares the /tmp fallback socket dir (daemon/server/socket-dir)', function () {
  it('creates it 0700 when it is missing', async () => {
    const dir = path.join(tempDir(), 'opensoul-x');
    assert.equal(await ensurePrivateSocketDir(dir), 'created');
    assert.equal(mode(dir), 0o700);
    assert.equal(await ensurePrivateSocketDir(dir), 'ok');
  });

  it('tightens a dir of its own that is open to others', async () => {
    const dir = path.join(tempDir(), 'opensoul-x');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assert.equal(await ensurePrivateSocketDir(dir), 'fixed');
    assert.equal(mode(dir), 0o700);
  });

  it('refuses a dir another uid made first (0777), and leaves it alone', async () => {
    const dir = path.join(tempDir(), 'opensoul-x');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    chownSync(dir, 65534, 65534);
    await assert.rejects(ensurePrivateSocketDir(dir), (err: Error) => err instanceof UnsafeSocketDirError && /owned by uid 65534/.test(err.message));
    assert.equal(mode(dir), 0o777);
    assert.equal(statSync(dir).uid, 65534);
  });

  it('refuses a symlink, even to a dir of its own, and never chmods the target', async () => {
    const top = tempDir();
    const target = path.join(top, 'precious');
    mkdirSync(target);
    chmodSync(target, 0o755);
    const link = path.join(top, 'opensoul-x');
    symlinkSync(target, link);
    await assert.rejects(ensurePrivateSocketDir(link), (err: Error) => err instanceof UnsafeSocketDirError && /symbolic link/.test(err.message));
    assert.equal(mode(target), 0o755, 'the target keeps its mode');
    assert.deepEqual(readdirSync(target), [], 'nothing was created in the target');
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is left as it is');
  });
});
