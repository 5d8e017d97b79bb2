/** ipc/paths: every platform's socket path and the state dir, as pure functions of a context. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { realpathLenient, resolveHome, resolveSocket, resolveStateDir, shortHash, statePaths, unixSocketPathLimit } from '../../ipc/paths.js';
import type { PathContext } from '../../ipc/paths.js';

function ctx(over: Partial<PathContext> & { env?: Record<string, string | undefined> } = {}): PathContext {
  return {
    env: {},
    platform: 'linux',
    homedir: () => '/home/os-homedir',
    uid: 1000,
    username: 'alice',
    realpath: (p) => {
      if (p.startsWith('/exists')) return p.replace('/exists', '/real');
      throw new Error('ENOENT');
    },
    cwd: () => '/work',
    ...over,
  };
}

describe('ipc/paths', () => {
  describe('state dir', () => {
    it('is $OPENSOUL_STATE_DIR, else <home>/.opensoul with home = $OPENSOUL_HOME, else $HOME, else os.homedir()', () => {
      assert.equal(resolveStateDir(ctx({ env: { OPENSOUL_STATE_DIR: '/srv/os', HOME: '/h' } })), '/srv/os');
      assert.equal(resolveStateDir(ctx({ env: { OPENSOUL_HOME: '/oh', HOME: '/h' } })), '/oh/.opensoul');
      assert.equal(resolveStateDir(ctx({ env: { HOME: '/h' } })), '/h/.opensoul');
      assert.equal(resolveStateDir(ctx()), '/home/os-homedir/.opensoul');
      assert.equal(resolveHome(ctx({ env: { HOME: '  ' } })), '/home/os-homedir', 'a blank HOME counts as unset');
    });
    it('expands a leading ~ and resolves relative paths against the cwd', () => {
      assert.equal(resolveStateDir(ctx({ env: { OPENSOUL_STATE_DIR: '~/x', HOME: '/h' } })), '/h/x');
      assert.equal(resolveStateDir(ctx({ env: { OPENSOUL_STATE_DIR: 'rel/dir' } })), '/work/rel/dir');
    });
    it('names every file of §3', () => {
      const p = statePaths('/s');
      assert.equal(p.dotenv, '/s/.env');
      assert.equal(p.config, '/s/opensoul.json');
      assert.equal(p.authProfiles('main'), '/s/agents/main/agent/auth-profiles.json');
      assert.equal(p.authState('main'), '/s/agents/main/agent/auth-state.json');
      assert.equal(p.legacyAuth('main'), '/s/agents/main/agent/auth.json');
      assert.equal(p.sessions('main'), '/s/agents/main/sessions/sessions.json');
      assert.equal(p.token, '/s/run/gateway.token');
      assert.equal(p.pid, '/s/run/gateway.pid');
      assert.equal(p.log, '/s/logs/gateway.log');
      assert.equal(statePaths('C:\\Users\\a\\.opensoul', 'win32').token, 'C:\\Users\\a\\.opensoul\\run\\gateway.token');
    });
  });

  describe('socket', () => {
    it('is <stateDir>/run/gateway.sock when it fits', () => {
      assert.deepEqual(resolveSocket('/home/a/.opensoul', ctx()), {
        path: '/home/a/.opensoul/run/gateway.sock',
        kind: 'state-dir',
        dir: '/home/a/.opensoul/run',
      });
    });
    it('honours $OPENSOUL_SOCKET (made absolute)', () => {
      assert.deepEqual(resolveSocket('/s', ctx({ env: { OPENSOUL_SOCKET: '/run/user/1000/os.sock' } })), {
        path: '/run/user/1000/os.sock',
        kind: 'env',
        dir: '/run/user/1000',
      });
      assert.equal(resolveSocket('/s', ctx({ env: { OPENSOUL_SOCKET: 'x.sock' } })).path, '/work/x.sock');
    });
    it('falls back to /tmp/opensoul-<uid>/<hash of the real state dir>.sock exactly past the limit (107 bytes on Linux, 103 on macOS)', () => {
      for (const [platform, limit] of [
        ['linux', 107],
        ['darwin', 103],
      ] as const) {
        assert.equal(unixSocketPathLimit(platform), limit);
        const suffix = '/run/gateway.sock';
        const fits = `/${'d'.repeat(limit - suffix.length - 1)}`;
        assert.equal(Buffer.byteLength(fits + suffix), limit);
        assert.equal(resolveSocket(fits, ctx({ platform })).kind, 'state-dir');
        const tooLong = `${fits}x`;
        const r = resolveSocket(tooLong, ctx({ platform }));
        assert.equal(r.kind, 'fallback');
        assert.equal(r.path, `/tmp/opensoul-1000/${shortHash(tooLong)}.sock`);
        assert.equal(r.dir, '/tmp/opensoul-1000');
      }
    });
    it('counts bytes, not characters (a multi-byte home dir)', () => {
      const dir = `/${'é'.repeat(45)}`; // 91 bytes, 46 characters
      assert.equal(resolveSocket(dir, ctx()).kind, 'fallback');
    });
    it('hashes the real path, so a symlinked state dir and its target share one socket', () => {
      const long = 'x'.repeat(120);
      const viaLink = resolveSocket(`/exists/${long}`, ctx());
      const real = resolveSocket(`/real/${long}`, ctx({ realpath: (p) => p }));
      assert.equal(viaLink.path, real.path);
    });
    it('is a named pipe on Windows, per user and state dir, whatever the path length', () => {
      const r = resolveSocket('C:\\Users\\Alice Smith\\.opensoul', ctx({ platform: 'win32', username: 'Alice Smith' }));
      assert.equal(r.kind, 'pipe');
      assert.match(r.path, /^\\\\\.\\pipe\\opensoul-alice_smith-[0-9a-f]{16}$/);
      const other = resolveSocket('C:\\Users\\Alice Smith\\other', ctx({ platform: 'win32', username: 'Alice Smith' }));
      assert.notEqual(other.path, r.path);
      assert.equal(resolveSocket('C:\\X', ctx({ platform: 'win32', env: { OPENSOUL_SOCKET: '\\\\.\\pipe\\mine' } })).path, '\\\\.\\pipe\\mine');
    });
    it('never ignores $TMPDIR differences: the fallback is /tmp on every POSIX platform (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 100, maxLength: 300 }).map((s) => `/${s.replace(/\0/g, '')}`),
          fc.string(),
          (dir, tmpdir) => {
            const a = resolveSocket(dir, ctx({ env: { TMPDIR: tmpdir } }));
            const b = resolveSocket(dir, ctx({ env: {} }));
            return a.path === b.path && (a.kind !== 'fallback' || a.path.startsWith('/tmp/opensoul-1000/'));
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  it('realpathLenient resolves the existing part and appends the rest', () => {
    assert.equal(
      realpathLenient(
        '/exists/a/b',
        ctx({
          realpath: (p) => {
            if (p === '/exists') return '/real';
            throw new Error('no');
          },
        }),
      ),
      '/real/a/b',
    );
    assert.equal(
      realpathLenient(
        '/nowhere/x',
        ctx({
          realpath: () => {
            throw new Error('no');
          },
        }),
      ),
      '/nowhere/x',
    );
  });
});
