/**
 * The gateway process: it claims the state dir, loads every file, listens on the socket, keeps
 * the files watched, and stops through one idempotent `shutdown(reason)` that removes the
 * socket, token and pid file only if they are still its own.
 */
import { randomBytes } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { lstat, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processPathContext, resolveHome, resolveSocket, resolveStateDir, statePaths } from '../ipc/paths.js';
import type { SocketLocation, StatePaths } from '../ipc/paths.js';
import { VERSION } from '../ipc/version.js';
import { cleanStrays } from './fs/strays.js';
import { StoreService } from './stores/store-service.js';
import { atomicWrite } from './fs/atomic-write.js';
import { claimInstance, releasePidFile, removeStaleSocket, socketAccepts } from './instance.js';
import { isProcessAlive, looksLikeGateway, readPidFile } from '../ipc/process.js';
import { checkSocketDir, describeSocketDirProblem } from '../ipc/socket-dir.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';
import { SecretRegistry } from './logging/secret-registry.js';
import { HOLD_GRACE_MS, ProxyService } from './proxy/proxy-service.js';
import { UsageLedger } from './resolver/usage.js';
import { createHandlers } from './server/handlers.js';
import { ensurePrivateSocketDir } from './server/socket-dir.js';
import { SocketServer } from './server/socket-server.js';
import { GatewayState } from './state/gateway-state.js';
import { CannotStartError, describeTightened, ensurePrivateDir, octal, tightenSecretFiles } from './state-dir.js';
import type { Tightened } from './state-dir.js';
import { secretFiles } from '../ipc/file-checks.js';
import { DEFAULT_CHECK_MS, OAuthRefresher } from './oauth/refresher.js';
import { ManagedFileWatcher } from './watch/managed-watcher.js';
import { ReloadScheduler } from './watch/reload-scheduler.js';
import { StateWatcher } from './watch/watcher.js';

/**
 * OPENSOUL_DEBUG_WRITE_PAUSE_MS: fault injection for tests of the merge path (a pause between
 * the daemon's read of a store and its rename). Never set in normal operation.
 */
function debugWritePause(): number {
  const n = Number(process.env.OPENSOUL_DEBUG_WRITE_PAUSE_MS ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 10_000) : 0;
}

/**
 * OPENSOUL_OAUTH_CHECK_MS: the period of the ahead-of-time OAuth refresh check, for tests (which
 * cannot wait a minute). Normal operation leaves it unset: once a minute.
 */
function oauthCheckMs(): number {
  const n = Number(process.env.OPENSOUL_OAUTH_CHECK_MS ?? 0);
  return Number.isFinite(n) && n >= 50 ? Math.min(n, 3_600_000) : DEFAULT_CHECK_MS;
}

/**
 * OPENSOUL_PROXY_HOLD_GRACE_MS: how long an `exec --proxy` key outlives its last holder, for
 * tests (which cannot wait a minute). Normal operation leaves it unset: HOLD_GRACE_MS.
 */
function proxyHoldGraceMs(): number {
  const n = Number(process.env.OPENSOUL_PROXY_HOLD_GRACE_MS ?? 0);
  return Number.isFinite(n) && n >= 100 ? Math.min(n, HOLD_GRACE_MS) : HOLD_GRACE_MS;
}

/**
 * Whether stderr goes to a regular file: a detached start's `logs/gateway.stderr.log`, or
 * launchd's StandardErrorPath. Then mirroring the log there would only write every line twice;
 * a terminal, a pipe and journald's socket still get the mirror.
 */
function stderrIsRegularFile(): boolean {
  try {
    return fstatSync(2).isFile();
  } catch {
    return false;
  }
}

async function pathTaken(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

export interface GatewayOptions {
  /** Also log to stderr (the foreground `opensoul gateway`). */
  foreground: boolean;
  env?: NodeJS.ProcessEnv;
}

export class Gateway {
  readonly paths: StatePaths;
  readonly socket: SocketLocation;
  readonly secrets = new SecretRegistry();
  readonly startedAt = Date.now();
  private log!: Logger;
  private state!: GatewayState;
  private stores!: StoreService;
  private server!: SocketServer;
  private usage!: UsageLedger;
  private proxy: ProxyService | null = null;
  private watcher: StateWatcher | null = null;
  private scheduler: ReloadScheduler | null = null;
  private refresher: OAuthRefresher | null = null;
  private managedWatcher: ManagedFileWatcher | null = null;
  private token = '';
  private stopping: Promise<never> | null = null;
  /** The periodic check in progress (socket and token healing), which a stop waits for. */
  private healing: Promise<void> | null = null;
  /** Modes narrowed at start (a 0755 state dir, a 0644 .env), for doctor. */
  private tightened: Tightened[] = [];
  /** The periodic check found the socket dir foreign: we no longer serve that path. */
  private socketAbandoned = false;
  private lastProblem: string | null = null;

  constructor(private readonly opts: GatewayOptions) {
    const ctx = processPathContext();
    const stateDir = resolveStateDir(ctx);
    this.paths = statePaths(stateDir);
    this.socket = resolveSocket(stateDir, ctx);
  }

  /** Starts everything; throws CannotStartError (exit 78) or AlreadyRunningError. */
  async start(): Promise<void> {
    const { paths } = this;
    // Everything the daemon creates is private; the socket is thus born 0600 (no chmod window).
    process.umask(0o077);
    // Before anything can answer: a SIGTERM right after the socket appears must stop us cleanly.
    this.installSignals();
    const leftOpen: string[] = [];
    for (const [dir, what, fixWritable] of [
      [paths.stateDir, 'state dir', false],
      [paths.runDir, 'run dir', true],
      [paths.logsDir, 'logs dir', true],
    ] as const) {
      const r = await ensurePrivateDir(dir, what, { fixWritable });
      if (r.outcome === 'left-open' && r.tightened)
        leftOpen.push(
          `${what} ${dir} is a symbolic link to ${r.tightened.path} (${octal(r.tightened.from)}), which other users can read; ` +
            `not changed through the link: \`chmod 700 ${r.tightened.path}\``,
        );
      else if (r.tightened) this.tightened.push(r.tightened);
    }
    await this.ensureSocketDir();
    this.tightened.push(...(await tightenSecretFiles(secretFiles(paths))));

    this.log = createLogger({ file: paths.log, stderr: this.opts.foreground && !stderrIsRegularFile(), secrets: this.secrets });
    if (this.tightened.length > 0) {
      this.log.warn('narrowed the modes of files and dirs other users could read (state dir 0700, secret files 0600)', {
        tightened: this.tightened.map(describeTightened),
      });
    }
    for (const w of leftOpen) this.log.warn(w);
    const claim = await claimInstance(paths, this.socket.path);
    try {
      for (const what of claim.cleaned) this.log.info(`cleaned up ${what} left by a previous gateway`);
      this.state = new GatewayState({
        paths,
        processEnv: { ...(this.opts.env ?? process.env) },
        retainSecrets: (values) => this.secrets.retain(values),
      });
      this.state.onChange((outcome) => this.onStateChange(outcome.changed, outcome.trigger));
      await cleanStrays(paths, this.log);
      await this.state.reload('start');
      this.stores = new StoreService(this.state, this.log, { pauseBeforeRenameMs: debugWritePause() });
      // Before the socket answers: the first auth.resolve must already refresh what is due.
      this.refresher = new OAuthRefresher({
        state: this.state,
        stores: this.stores,
        log: this.log,
        emit: (event, data) => this.server?.broadcast({ event, at: Date.now(), data }),
        registerSecrets: (values) => this.secrets.registerAll(values),
        checkIntervalMs: oauthCheckMs(),
      });
      this.state.refresher = this.refresher;
      this.reportFileErrors();
      // Before the socket: a refused proxy.host stops the start here (exit 78), leaving nothing behind.
      // One usage owner for every caller: RPC handlers, chat turns, probes and the proxy.
      this.usage = new UsageLedger({ state: this.state, stores: this.stores, emit: (event, data) => this.server?.broadcast({ event, at: Date.now(), data }) });
      this.proxy = new ProxyService({
        state: this.state,
        usage: this.usage,
        log: this.log,
        registerSecrets: (values) => this.secrets.registerAll(values),
        holdGraceMs: proxyHoldGraceMs(),
      });
      await this.proxy.start();

      this.token = randomBytes(32).toString('hex');
      // Pinned: the token lives as long as the daemon, and clients send it on every connection.
      this.secrets.pin(this.token);
      await this.writeToken();
      this.server = new SocketServer(this.serverOptions());
      try {
        await this.server.listen();
      } catch (err) {
        throw new CannotStartError(`cannot listen on ${this.socket.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    } finally {
      await claim.startLock.release();
    }

    this.scheduler = new ReloadScheduler({
      reloadNow: async (trigger) => {
        const outcome = await this.state.reload(trigger);
        // proxy-keys.json is ours, but a person may edit or delete it: re-read when it changed.
        await this.proxy?.keys.refresh();
        return outcome;
      },
      beforePeriodic: () => this.periodicChecks(),
      onError: (err) => this.log.error('reload failed', { err }),
    });
    this.watcher = new StateWatcher(paths.stateDir, () => this.scheduler?.hint(), this.log);
    await this.watcher.start();
    this.managedWatcher = new ManagedFileWatcher(() => this.scheduler?.hint(), this.log);
    await this.managedWatcher.sync(this.state.managedPaths());
    this.scheduler.start();
    this.refresher.start();
    this.log.info(`opensoul gateway ${VERSION} listening`, {
      pid: process.pid,
      socket: this.socket.path,
      stateDir: paths.stateDir,
      agents: this.state.agentIds(),
    });
  }

  /**
   * The socket's dir when it is not run/: our /tmp fallback (made 0700 by us, never through a
   * link; another user's dir or a link is refused) or the person's OPENSOUL_SOCKET dir.
   */
  private async ensureSocketDir(): Promise<void> {
    const dir = this.socket.dir;
    if (!dir || dir === this.paths.runDir) return;
    if (this.socket.kind === 'fallback') {
      if ((await ensurePrivateSocketDir(dir)) === 'fixed') this.log?.warn('the socket dir was open to other users; tightened to 0700', { dir });
      return;
    }
    await ensurePrivateDir(dir, 'socket dir', { fixWritable: false, traversable: true });
  }

  private onStateChange(changed: string[], trigger: string): void {
    this.log.info('reloaded', { trigger, changed });
    // A profile adopted or removed changes which other CLIs' files we watch.
    void this.managedWatcher?.sync(this.state.managedPaths());
    if (changed.includes(this.paths.config)) void this.proxy?.apply();
    this.reportFileErrors(new Set(changed));
    this.server?.broadcast({ event: 'state.reloaded', at: Date.now(), data: { trigger, changed } });
  }

  /** Logs file warnings, and logs and announces files that are not loaded (only those that just changed, after start). */
  private reportFileErrors(only?: Set<string>): void {
    for (const f of this.state.files()) {
      if (only && !only.has(f.path)) continue;
      // Warnings (a duplicate key in .env, an ignored line) are logged once per change of the file.
      if (f.warnings.length > 0) this.log.warn('file loaded with warnings', { path: f.path, warnings: f.warnings });
      if (f.ok) continue;
      this.log.warn('file not loaded; keeping its last good state and refusing writes to it', { path: f.path, error: f.error });
      this.server?.broadcast({ event: 'store.error', at: Date.now(), data: { path: f.path, message: f.error } });
    }
  }

  /**
   * The periodic safety net beyond re-reading: re-arm the watcher if its dir was replaced; put
   * the socket back if it vanished or was replaced (someone removed run/, a tmp cleaner took the
   * /tmp fallback dir), and the token file if it was deleted — clients need both to reach us.
   * Only a live gateway named by the pid file (a successor claimed the state dir) makes us stop:
   * two writers must not coexist.
   */
  private async periodicChecks(): Promise<void> {
    await this.watcher?.rearmIfNeeded();
    if (this.healing || this.stopping) return;
    this.healing = this.heal().finally(() => (this.healing = null));
    await this.healing;
  }

  private async heal(): Promise<void> {
    try {
      const successor = this.successorPid();
      if (successor !== null) {
        void this.shutdown(`another gateway (pid ${successor}) has taken over ${this.paths.stateDir}`);
        return;
      }
      await this.checkSocket();
      await this.checkToken();
    } catch (err) {
      this.reportOnce('heal-failed', 'could not restore the socket or token', { err });
    }
  }

  /** A live gateway other than us that the pid file names, or null. */
  private successorPid(): number | null {
    const other = readPidFile(this.paths.pid);
    return other !== null && other !== process.pid && isProcessAlive(other) && (looksLikeGateway(other) ?? true) ? other : null;
  }

  /** Logs a problem once until it changes: the periodic check would repeat it every 2 s. */
  private reportOnce(key: string, message: string, meta: Record<string, unknown> = {}): void {
    if (this.lastProblem === key) return;
    this.lastProblem = key;
    this.log.error(message, meta);
  }

  private async checkSocket(): Promise<void> {
    const dir = this.socket.dir;
    if (this.socket.kind === 'fallback' && dir) {
      const verdict = checkSocketDir(dir, process.getuid?.() ?? 0, 'private');
      if (!verdict.ok && verdict.problem === 'open-mode') {
        // Still ours (only we or root can chmod it): close it again; whether our socket is
        // still the one at the path is checked next.
        await this.ensureSocketDir();
      } else if (!verdict.ok && verdict.problem !== 'missing') {
        // Our dir was removed and another user (or a link) took its place. Listening there would
        // hand them our clients; exiting would leave systemd to restart us into a 78 and keep us
        // down. Safest: stop serving that path, keep running (files, refresh timers), log it, and
        // come back once the dir is ours again. The CLI refuses that dir on its own.
        if (!this.socketAbandoned) {
          this.socketAbandoned = true;
          await this.server.close({ keepPath: true }).catch(() => undefined);
        }
        this.reportOnce(
          `dir:${verdict.problem}`,
          `no longer listening: ${describeSocketDirProblem(dir, verdict)}; remove it (as root if another user owns it) and the gateway listens again`,
          { socket: this.socket.path },
        );
        return;
      }
    }
    if (!this.socketAbandoned && (await this.server.ownsSocketFile())) {
      if (readPidFile(this.paths.pid) !== process.pid) {
        await this.ensureRunDir();
        await atomicWrite(this.paths.pid, `${process.pid}\n`);
      }
      return;
    }
    if (!this.socketAbandoned && (await socketAccepts(this.socket.path))) {
      // In a dir only our uid can write to, a process of ours serves our path: do not fight it
      // for the path (two daemons would take it from each other every period).
      this.reportOnce('socket-taken', 'another process of this user is listening on the socket path; not taking it back while it does', {
        socket: this.socket.path,
      });
      return;
    }
    // A stop that began while this check looked: listening now would leave a socket file behind
    // a gateway that has exited (the stop waits for this check, then closes the server it finds).
    if (this.stopping) return;
    this.log.warn('the socket file disappeared or was replaced; listening again', { socket: this.socket.path });
    await this.ensureRunDir();
    await this.ensureSocketDir();
    await atomicWrite(this.paths.pid, `${process.pid}\n`);
    await this.writeToken();
    // A socket nobody serves is removed; anything else at the path is refused (and logged).
    await removeStaleSocket(this.socket.path);
    // Closing unlinks the path whatever sits there by then: only once it is empty (else the
    // old server is let go unclosed — it serves a file nobody can reach any more).
    if (!this.socketAbandoned) await this.server.close({ keepPath: await pathTaken(this.socket.path) }).catch(() => undefined);
    this.server = new SocketServer(this.serverOptions());
    await this.server.listen();
    this.socketAbandoned = false;
    this.lastProblem = null;
  }

  /** A deleted (or overwritten) token file is written again, same value: clients read it to connect. */
  private async checkToken(): Promise<void> {
    const onDisk = await readFile(this.paths.token, 'utf8').catch(() => null);
    if (onDisk !== null && onDisk.trim() === this.token) return;
    this.log.warn(onDisk === null ? 'the token file disappeared; writing it again' : 'the token file was changed; writing ours again', {
      path: this.paths.token,
    });
    await this.ensureRunDir();
    await this.writeToken();
  }

  /** run/ (and the state dir above it) back in place, with the checks of start-up. */
  private async ensureRunDir(): Promise<void> {
    await ensurePrivateDir(this.paths.stateDir, 'state dir', { fixWritable: false });
    await ensurePrivateDir(this.paths.runDir, 'run dir', { fixWritable: true });
  }

  private async writeToken(): Promise<void> {
    await atomicWrite(this.paths.token, `${this.token}\n`);
  }

  private serverOptions(): ConstructorParameters<typeof SocketServer>[0] {
    return {
      socketPath: this.socket.path,
      token: () => this.token,
      log: this.log,
      handlers: createHandlers({
        state: this.state,
        stores: this.stores,
        usage: this.usage,
        registerSecrets: (values) => this.secrets.registerAll(values),
        emit: (event, data) => this.server.broadcast({ event, at: Date.now(), data }),
        // Loaded on first use: the import (and sql.js behind it) costs nothing until someone imports.
        importOpenClaw: async (params) => {
          const { importOpenClaw } = await import('./import/apply-openclaw.js');
          const from = params.from ?? path.join(resolveHome(processPathContext()), '.openclaw');
          return importOpenClaw({ ...params, from }, this.state, this.stores, (values) => this.secrets.registerAll(values));
        },
        startedAt: this.startedAt,
        socketPath: this.socket.path,
        logFile: this.paths.log,
        connectionCount: () => this.server.connectionCount,
        shutdown: (reason) => void this.shutdown(reason),
        log: { warn: (message) => this.log.warn(message), info: (message, meta) => this.log.info(message, meta) },
        onShutdown: (stop) => this.onStop.push(stop),
        tightenedAtStart: () => this.tightened.map(describeTightened),
        ...(this.proxy ? { proxy: this.proxy } : {}),
      }),
    };
  }

  private installSignals(): void {
    process.on('SIGTERM', () => void this.shutdown('SIGTERM'));
    process.on('SIGINT', () => void this.shutdown('SIGINT'));
    if (process.platform !== 'win32') {
      process.on('SIGHUP', () => {
        if (!this.state) return; // still starting: the start-up load reads everything anyway
        this.log.info('SIGHUP: reloading every file');
        this.state.reload('signal').catch((err: unknown) => this.log.error('reload failed', { err }));
      });
    }
  }

  /** Stops cleanly, once; later calls wait for the first. Exits the process. */
  /** Work to stop first when the daemon stops (registered by the handlers). */
  private readonly onStop: (() => void)[] = [];

  shutdown(reason: string, exitCode = 0): Promise<never> {
    this.stopping ??= this.stop(reason, exitCode);
    return this.stopping;
  }

  private async stop(reason: string, exitCode: number): Promise<never> {
    this.log?.info('gateway stopping', { reason });
    // Running chat turns end now (their upstream requests are aborted), before the socket closes.
    for (const stop of this.onStop) stop();
    this.scheduler?.stop();
    this.refresher?.stop();
    // Proxied requests in progress get a few seconds to finish; then their connections are cut.
    await this.proxy?.stop().catch(() => undefined);
    await this.watcher?.close().catch(() => undefined);
    await this.managedWatcher?.close().catch(() => undefined);
    // A socket check in progress may be about to listen again: it finishes first, so the server
    // closed below is the one that holds the path.
    await this.healing;
    if (this.server) {
      const ours = !this.socketAbandoned && (await this.server.ownsSocketFile());
      await this.server.close({ keepPath: !ours }).catch(() => undefined);
      const token = await readFile(this.paths.token, 'utf8').catch(() => '');
      if (token.trim() === this.token) await unlink(this.paths.token).catch(() => undefined);
      await releasePidFile(this.paths);
    }
    this.log?.info('gateway stopped', { reason });
    await this.log?.close().catch(() => undefined);
    process.exit(exitCode);
  }

  /** Logs an error through the redactor (for the process-level handlers). */
  logError(message: string, err: unknown): void {
    if (this.log) this.log.error(message, { err });
    else process.stderr.write(`opensoul gateway: ${this.secrets.redact(message)}\n`);
  }
}
