/**
 * daemon/fs/replace-unless-changed: the final step of a write fails instead of overwriting a
 * save that landed after our read; a crash inside it is repaired at the next start; a reader
 * never takes the file's brief absence for a deletion.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeTemp } from '../../../daemon/fs/atomic-write.js';
import { ASIDE_MARKER, asidePathFor, replaceUnlessChanged } from '../../../daemon/fs/replace-unless-changed.js';
import { cleanStrays } from '../../../daemon/fs/strays.js';
import { newLoadedFile, refreshFile } from '../../../daemon/state/loaded-file.js';
import { statePaths } from '../../../ipc/paths.js';
import { tempDir } from '../../support/harness.js';

const quiet = { info: () => undefined };

describe('replace unless changed', () => {
  it('replaces a file that still holds what we read, leaving no temp or aside', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(file, 'old');
    const tmp = await writeTemp(file, 'new');
    assert.equal(await replaceUnlessChanged(file, tmp, Buffer.from('old')), true);
    assert.equal(readFileSync(file, 'utf8'), 'new');
    assert.deepEqual(readdirSync(path.dirname(file)), ['a.json']);
  });

  it('fails, writing nothing of ours, when a save landed after our read (the save stays)', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(file, 'old');
    const tmp = await writeTemp(file, 'ours');
    writeFileSync(`${file}.editor`, 'the person saved this');
    renameSync(`${file}.editor`, file);
    assert.equal(await replaceUnlessChanged(file, tmp, Buffer.from('old')), false);
    assert.equal(readFileSync(file, 'utf8'), 'the person saved this');
    assert.deepEqual(readdirSync(path.dirname(file)), ['a.json']);
  });

  it('fails, leaving the link, when the file became a symbolic link since our read (even to the same content)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.json');
    writeFileSync(file, 'old');
    const tmp = await writeTemp(file, 'ours');
    // A person makes the file a link into a dotfiles repo: a write must go through it, not replace it.
    writeFileSync(path.join(dir, 'real.json'), 'old');
    unlinkSync(file);
    symlinkSync(path.join(dir, 'real.json'), file);
    assert.equal(await replaceUnlessChanged(file, tmp, Buffer.from('old')), false);
    assert.equal(readlinkSync(file), path.join(dir, 'real.json'));
    assert.equal(readFileSync(path.join(dir, 'real.json'), 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'real.json']);
  });

  it('fails when the file we saw missing was created meanwhile', async () => {
    const file = path.join(tempDir(), 'a.json');
    const tmp = await writeTemp(file, 'ours');
    writeFileSync(file, 'created by someone else');
    assert.equal(await replaceUnlessChanged(file, tmp, null), false);
    assert.equal(readFileSync(file, 'utf8'), 'created by someone else');
  });

  it('a write killed after taking the file aside: the next start puts the aside back', async () => {
    const stateDir = tempDir();
    const paths = statePaths(stateDir);
    const store = paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(store, '{"version":1,"profiles":{}}');
    renameSync(store, asidePathFor(store));
    await cleanStrays(paths, quiet);
    assert.equal(readFileSync(store, 'utf8'), '{"version":1,"profiles":{}}');
    assert.deepEqual(readdirSync(path.dirname(store)), ['auth-profiles.json']);
    // With the file present (the new version was linked in), the aside is just removed.
    writeFileSync(asidePathFor(store), 'older');
    await cleanStrays(paths, quiet);
    assert.equal(readFileSync(store, 'utf8'), '{"version":1,"profiles":{}}');
    assert.deepEqual(readdirSync(path.dirname(store)), ['auth-profiles.json']);
  });

  it("repairs a killed write in a symlinked store's target dir too, leaving that dir's other files alone", async () => {
    const root = tempDir();
    const paths = statePaths(path.join(root, 'state'));
    const store = paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    mkdirSync(path.join(root, 'repo'));
    const target = path.join(root, 'repo', 'profiles.json');
    symlinkSync(target, store);
    // The aside of a dead writer (pid 0 is nobody's), the target missing; and a lock file that is not ours.
    writeFileSync(path.join(root, 'repo', `.profiles.json${ASIDE_MARKER}0-abcd1234`), '{"version":1,"profiles":{}}');
    writeFileSync(path.join(root, 'repo', 'yarn.lock'), 'not a sidecar lock');
    utimesSync(path.join(root, 'repo', 'yarn.lock'), new Date(0), new Date(0));
    await cleanStrays(paths, quiet);
    assert.equal(readFileSync(store, 'utf8'), '{"version":1,"profiles":{}}');
    assert.deepEqual(readdirSync(path.join(root, 'repo')).sort(), ['profiles.json', 'yarn.lock']);
  });

  it('a reader does not take a file missing for an instant for a deleted one', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(file, 'v1');
    const loaded = newLoadedFile<string>(file, 'auth-profiles', 'main', '');
    const parse = (text: string) => ({ ok: true as const, value: text, warnings: [] });
    await refreshFile(loaded, parse, () => '', Date.now());
    const aside = `${file}.aside`;
    renameSync(file, aside);
    setTimeout(() => renameSync(aside, file), 5);
    assert.equal(await refreshFile(loaded, parse, () => '', Date.now()), false, 'nothing changed');
    assert.equal(loaded.value, 'v1');
    unlinkSync(file);
    assert.equal(await refreshFile(loaded, parse, () => '', Date.now()), true, 'a real deletion still counts');
    assert.equal(loaded.exists, false);
    assert.ok(!existsSync(file));
  });
});
