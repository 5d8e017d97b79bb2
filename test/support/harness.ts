/**
 * End-to-end harness: real daemons on temp state dirs, the real CLI binary (dist/, built by
 * `pretest`), and cleanup of every process and temp dir after each test, even when it fails.
 * Children get a clean environment: no provider keys from this machine, and no
 * NODE_EXTRA_CA_CERTS (it costs ~75 ms per Node start here).
 */
import { DAEMON_NODE_FLAGS } from '../../units/daemon-flags.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { connect } from '../../ipc/client.js';
import type { Connection } from '../../ipc/client.js';
import { processPathContext, resolveSocket, statePaths } from '../../ipc/paths.js';
import type { StatePaths } from '../../ipc/paths.js';
import type { Method } from '../../ipc/protocol.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(REPO, 'dist', 'opensoul.cjs');
/** The version the built CLI reports (tests run from source, where ipc/version.ts has no build-time value). */
export const PKG_VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * What each test started or made, for the root hook to clean up. Kept on globalThis, not in
 * module variables: mocha loads a spec file with require() unless it reaches an ESM-only package
 * (plist, through units/), in which case it imports it — and this module then exists twice, once
 * per loader. One shared registry makes the root hook see both.
 */
interface Registry {
  children: Set<ChildProcess>;
  dirs: Set<string>;
  cleanups: (() => Promise<void> | void)[];
}
const REGISTRY = Symbol.for('opensoul.test.registry');
const registry: Registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] as Registry | undefined) ?? {
  children: new Set(),
  dirs: new Set(),
  cleanups: [],
};
(globalThis as Record<symbol, unknown>)[REGISTRY] = registry;
const { children, dirs, cleanups } = registry;

/** Registers extra cleanup (a tmux server, a detached daemon) to run after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/**
 * Listens on a free port of 127.0.0.1 and returns it; after the current test the server is
 * closed, its open connections (keep-alive, a stalled answer) cut first so the close cannot hang.
 */
export async function listenOnLoopback(server: HttpServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A port of 127.0.0.1 that was free a moment ago: for a config that must name a fixed one (a proxy that comes back on it after a restart). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A process that is nobody's child here (a detached daemon): SIGKILL-ed after the current test. */
export function killAfterTest(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) return;
  onCleanup(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
}

/** Kills every process and removes every temp dir a test made (root afterEach hook). */
export async function cleanupAll(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A fresh temp dir under /tmp (short paths: socket paths have a length limit), removed after the test. */
export function tempDir(prefix = 'opensoul-test-'): string {
  const dir = mkdtempSync(path.join('/tmp', prefix));
  dirs.add(dir);
  return dir;
}

/**
 * A temp dir inside the repo, for builds whose bundles must resolve the repo's node_modules
 * (the daemon bundle keeps its npm packages external). Git-ignored; removed after the test.
 */
export function repoTempDir(): string {
  const dir = mkdtempSync(path.join(REPO, '.test-build-'));
  dirs.add(dir);
  return dir;
}

const PROVIDER_KEY = /^(ANTHROPIC_|OPENAI_|OPENROUTER_|GEMINI_|GOOGLE_|XAI_|MISTRAL_|GROQ_|DEEPSEEK_|COPILOT_|GH_TOKEN|GITHUB_TOKEN)/;

/** A clean child environment: PATH and locale kept; provider keys, NODE_OPTIONS and extra CA certs dropped. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || PROVIDER_KEY.test(k) || k.startsWith('OPENSOUL_') || k.startsWith('NODE_') || k === 'NO_COLOR') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin (stdin is closed either way). */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface CliOptions {
  stateDir: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** Runs the real `opensoul` CLI binary against a state dir. */
export function cli(args: string[], opts: CliOptions): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], {
    env: cleanEnv({ HOME: path.dirname(opts.stateDir), OPENSOUL_STATE_DIR: opts.stateDir, ...opts.env }),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly stateDir: string;
  readonly paths: StatePaths;
  readonly socketPath: string;
  readonly env: NodeJS.ProcessEnv;
  stderr(): string;
  log(): string;
  connect(): Promise<Connection>;
  call<P, R>(m: Method<string, P, R>, params: P): Promise<R>;
  cli(args: string[], opts?: Omit<CliOptions, 'stateDir'>): Promise<RunResult>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  stateDir?: string;
  env?: Record<string, string | undefined>;
  /** The CLI or daemon entry to run (a different build, for the version-skew test). */
  entry?: string;
  args?: string[];
  /** Runs the daemon with this open-file limit (soft and hard) through prlimit(1): Linux only. */
  openFileLimit?: number;
}

/** The socket path client and daemon compute for a state dir, with the test's env. */
export function socketPathFor(stateDir: string, env: NodeJS.ProcessEnv): string {
  return resolveSocket(stateDir, { ...processPathContext(), env }).path;
}

/** Starts a daemon and resolves once it answers `gateway.hello`; rejects with its stderr if it exits first. */
export async function startDaemon(opts: StartOptions = {}): Promise<Daemon> {
  const stateDir = opts.stateDir ?? path.join(tempDir(), 'state');
  const env = cleanEnv({ HOME: path.dirname(stateDir), OPENSOUL_STATE_DIR: stateDir, ...opts.env });
  // With the node flags the service files and `gateway start` use (units/daemon-flags.ts): the daemon as users run it.
  const argv = [process.execPath, ...DAEMON_NODE_FLAGS, opts.entry ?? CLI, ...(opts.args ?? ['gateway'])];
  // prlimit execs the daemon in its own process: the pid is the daemon's.
  if (opts.openFileLimit !== undefined) argv.unshift('prlimit', `--nofile=${opts.openFileLimit}:${opts.openFileLimit}`);
  const proc = track(spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const paths = statePaths(stateDir);
  const socketPath = socketPathFor(stateDir, env);
  const connectNow = () => connect({ socketPath, tokenPath: paths.token, connectTimeoutMs: 2000 });
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    async () => {
      if (gone) throw new Error(`daemon exited early: ${stderr}`);
      const c = await connectNow();
      c.close();
      return true;
    },
    'the daemon to answer',
    15_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nstderr: ${stderr}`);
  });
  const daemon: Daemon = {
    proc,
    stateDir,
    paths,
    socketPath,
    env,
    stderr: () => stderr,
    log: () => {
      try {
        return readFileSync(paths.log, 'utf8');
      } catch {
        return '';
      }
    },
    connect: connectNow,
    async call(m, params) {
      const c = await connectNow();
      try {
        return await c.call(m, params);
      } finally {
        c.close();
      }
    },
    cli: (args, o = {}) => cli(args, { stateDir, ...o, env: { ...opts.env, ...o.env } }),
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  return daemon;
}

/** Asserts that none of the fake secrets appears in any of the texts (outputs, logs). */
export function assertNoSecrets(secrets: readonly string[], texts: Record<string, string>): void {
  for (const secret of secrets) {
    for (const [name, text] of Object.entries(texts)) {
      assert.ok(!text.includes(secret), `a fake secret leaked into ${name}`);
    }
  }
}

/** A fake secret of a given shape, unique per call, that no real provider would accept. */
let counter = 0;
export function fakeSecret(prefix = 'sk-ant-api03-', length = 64): string {
  counter++;
  const body = `FAKE${process.pid}x${counter}x${Math.random().toString(36).slice(2)}`;
  return (prefix + body + 'Z'.repeat(Math.max(0, length))).slice(0, prefix.length + length);
}
