/** daemon/fs/write-target: where a write through a symlink goes, and which links are refused. */
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeTarget } from '../../../daemon/fs/write-target.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { tempDir } from '../../support/harness.js';

const refused = (reason: RegExp) => (err: unknown) => err instanceof OpenSoulError && err.kind === 'UNSAFE_LINK' && reason.test(err.message);

describe('write target of a possibly symlinked file', () => {
  it('is the file itself when it is a file or missing, and the resolved target of a link (chains too)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.json');
    assert.equal(await writeTarget(file), file);
    writeFileSync(file, '{}');
    assert.equal(await writeTarget(file), file);
    mkdirSync(path.join(dir, 'repo'));
    const real = path.join(dir, 'repo', 'real.json');
    writeFileSync(real, '{}');
    symlinkSync('repo/real.json', path.join(dir, 'hop'));
    symlinkSync(path.join(dir, 'hop'), path.join(dir, 'b.json'));
    assert.equal(await writeTarget(path.join(dir, 'b.json')), realpathSync(real));
  });

  it("refuses a dangling link, a link to a directory and a link to another user's file", async () => {
    const dir = tempDir();
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    await assert.rejects(writeTarget(path.join(dir, 'dangling')), refused(/does not exist/));
    symlinkSync(dir, path.join(dir, 'to-dir'));
    await assert.rejects(writeTarget(path.join(dir, 'to-dir')), refused(/not .*regular file/));
    const foreign = path.join(dir, 'foreign');
    writeFileSync(foreign, 'x');
    const target = process.getuid?.() === 0 ? foreign : '/etc/hostname';
    if (target === foreign) chownSync(foreign, 65534, 65534);
    symlinkSync(target, path.join(dir, 'to-foreign'));
    await assert.rejects(writeTarget(path.join(dir, 'to-foreign')), refused(/owned by another user/));
  });
});
