/**
 * Where everything lives (SPEC §3, §5). Client and daemon compute every path with these same
 * functions, so they can never disagree about the socket. Pure over a `PathContext`, which tests
 * fill in to exercise Linux, macOS and Windows on any machine.
 */
import { realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { posix, win32 } from 'node:path';
import type { PlatformPath } from 'node:path';

export interface PathContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly homedir: () => string;
  /** Numeric uid (POSIX); unused on Windows. */
  readonly uid: number;
  /** User name, for the Windows pipe name (a getter: looking it up costs a passwd read elsewhere). */
  readonly username: string;
  /** Resolves symlinks of an existing path; throws when it does not exist. */
  readonly realpath: (p: string) => string;
  readonly cwd: () => string;
}

/** The context of the running process. */
export function processPathContext(): PathContext {
  return {
    env: process.env,
    platform: process.platform,
    homedir: () => homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : 0,
    get username() {
      return safeUsername();
    },
    realpath: (p) => realpathSync.native(p),
    cwd: () => process.cwd(),
  };
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USERNAME ?? process.env.USER ?? 'user';
  }
}

function pathApi(ctx: PathContext): PlatformPath {
  return ctx.platform === 'win32' ? win32 : posix;
}

/** Home: `$OPENSOUL_HOME`, else `$HOME`, else the OS's idea of it (§3). */
export function resolveHome(ctx: PathContext): string {
  const fromEnv = nonEmpty(ctx.env.OPENSOUL_HOME) ?? nonEmpty(ctx.env.HOME);
  return fromEnv ?? ctx.homedir();
}

/** State dir: `$OPENSOUL_STATE_DIR` (a leading `~` is expanded), else `<home>/.opensoul`; always absolute. */
export function resolveStateDir(ctx: PathContext): string {
  const p = pathApi(ctx);
  const home = resolveHome(ctx);
  const fromEnv = nonEmpty(ctx.env.OPENSOUL_STATE_DIR);
  let dir = fromEnv ?? p.join(home, '.opensoul');
  if (dir === '~' || dir.startsWith('~/') || dir.startsWith('~\\')) dir = p.join(home, dir.slice(1));
  return p.resolve(ctx.cwd(), dir);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

/** Every file of §3, for one state dir. Agent ids must already be validated (AGENT_ID_PATTERN). */
export interface StatePaths {
  readonly stateDir: string;
  readonly dotenv: string;
  readonly config: string;
  readonly agentsDir: string;
  readonly runDir: string;
  readonly token: string;
  readonly pid: string;
  readonly logsDir: string;
  readonly log: string;
  readonly authMonitorState: string;
  /** The auth monitor's notification settings (`KEY=value` lines), edited by the person: a notify URL may hold a token. */
  readonly authMonitorEnv: string;
  agentDir(agentId: string): string;
  authProfiles(agentId: string): string;
  authState(agentId: string): string;
  /** OpenClaw's flat legacy store, read as `<provider>:default` profiles. */
  legacyAuth(agentId: string): string;
  sessions(agentId: string): string;
}

export function statePaths(stateDir: string, platform: NodeJS.Platform = process.platform): StatePaths {
  const p = platform === 'win32' ? win32 : posix;
  const runDir = p.join(stateDir, 'run');
  const logsDir = p.join(stateDir, 'logs');
  const agentsDir = p.join(stateDir, 'agents');
  const agentDir = (id: string) => p.join(agentsDir, id, 'agent');
  return {
    stateDir,
    dotenv: p.join(stateDir, '.env'),
    config: p.join(stateDir, 'opensoul.json'),
    agentsDir,
    runDir,
    token: p.join(runDir, 'gateway.token'),
    pid: p.join(runDir, 'gateway.pid'),
    logsDir,
    log: p.join(logsDir, 'gateway.log'),
    authMonitorState: p.join(stateDir, 'auth-monitor.state'),
    authMonitorEnv: p.join(stateDir, 'auth-monitor.env'),
    agentDir,
    authProfiles: (id) => p.join(agentDir(id), 'auth-profiles.json'),
    authState: (id) => p.join(agentDir(id), 'auth-state.json'),
    legacyAuth: (id) => p.join(agentDir(id), 'auth.json'),
    sessions: (id) => p.join(agentsDir, id, 'sessions', 'sessions.json'),
  };
}

/**
 * The longest Unix-socket path each platform accepts, in bytes, excluding the terminating NUL
 * (`sizeof(sun_path)` is 108 on Linux, 104 on macOS and the BSDs).
 */
export function unixSocketPathLimit(platform: NodeJS.Platform): number {
  return platform === 'linux' || platform === 'android' ? 107 : 103;
}

export type SocketPathKind = 'env' | 'state-dir' | 'fallback' | 'pipe';

export interface SocketLocation {
  readonly path: string;
  /** Where the path came from: `$OPENSOUL_SOCKET`, `<stateDir>/run`, the `/tmp` fallback, or a Windows pipe. */
  readonly kind: SocketPathKind;
  /** The directory the daemon must own and keep 0700 (absent for pipes). */
  readonly dir: string | null;
}

/**
 * The real path of `p`, also when its tail does not exist yet: the longest existing ancestor is
 * resolved and the rest appended, so a client asking before the daemon created the state dir
 * computes the same path as the daemon after.
 */
export function realpathLenient(p: string, ctx: PathContext): string {
  const api = pathApi(ctx);
  const rest: string[] = [];
  let current = p;
  for (;;) {
    try {
      return api.join(ctx.realpath(current), ...rest.reverse());
    } catch {
      const parent = api.dirname(current);
      if (parent === current) return p;
      rest.push(api.basename(current));
      current = parent;
    }
  }
}

/**
 * A 64-bit FNV-1a hash of the UTF-8 bytes, as 16 hex chars: short enough for any socket path,
 * long enough never to collide by chance. Not a security boundary (the dir's modes and the
 * token are), so no crypto module: loading it would cost every CLI start a few milliseconds.
 */
export function shortHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * The socket (§5): `$OPENSOUL_SOCKET`, else `<stateDir>/run/gateway.sock`; where that is longer than
 * the platform allows, `/tmp/opensoul-<uid>/<hash of the state dir's real path>.sock` — not
 * `os.tmpdir()`, because `$TMPDIR` differs between an SSH shell and a service and both sides
 * must compute the same path. Windows: a named pipe `\\.\pipe\opensoul-<user>-<hash>`.
 */
export function resolveSocket(stateDir: string, ctx: PathContext): SocketLocation {
  const fromEnv = nonEmpty(ctx.env.OPENSOUL_SOCKET);
  if (ctx.platform === 'win32') {
    if (fromEnv) return { path: fromEnv, kind: 'env', dir: null };
    const user = ctx.username.toLowerCase().replace(/[^a-z0-9._-]/g, '_') || 'user';
    const hash = shortHash(realpathLenient(stateDir, ctx).toLowerCase());
    return { path: `\\\\.\\pipe\\opensoul-${user}-${hash}`, kind: 'pipe', dir: null };
  }
  if (fromEnv) {
    const abs = posix.resolve(ctx.cwd(), fromEnv);
    return { path: abs, kind: 'env', dir: posix.dirname(abs) };
  }
  const preferred = posix.join(stateDir, 'run', 'gateway.sock');
  if (Buffer.byteLength(preferred) <= unixSocketPathLimit(ctx.platform)) {
    return { path: preferred, kind: 'state-dir', dir: posix.dirname(preferred) };
  }
  const dir = `/tmp/opensoul-${ctx.uid}`;
  return { path: `${dir}/${shortHash(realpathLenient(stateDir, ctx))}.sock`, kind: 'fallback', dir };
}
