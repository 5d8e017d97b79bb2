/**
 * `opensoul exec … -- cmd args…` (§7): the only command that hands out a whole secret, and only
 * into its child's environment — never argv, stdout, stderr or a file. The child runs without a
 * shell, with stdio inherited; its exit code is ours, and a signal that kills it kills us alike,
 * so `opensoul exec` is transparent to scripts and supervisors.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { OpenSoulError } from '../../ipc/errors.js';
import type { ExecCredentialsResult, ExecVariable, ProxyEnvResult } from '../../ipc/protocol.js';
import { methods } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon, connectToDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { findOnPath } from '../which.js';

export interface ExecOptions {
  /** Providers to resolve (`--provider a,b`, repeatable); none: every provider the agent has a credential for. */
  provider?: string[];
  agent?: string;
  /** A chat session whose `/model …@id` pin applies. */
  session?: string;
  /** Print the variable names and their sources, run nothing. */
  printNames?: boolean;
  /** Give the child the gateway's local proxy (base URLs and a short-lived proxy key) instead of real keys. */
  proxy?: boolean;
  /** With `--proxy`: a limit on how long its key lives (ms; default: none, it lives as long as the run). */
  proxyTtl?: number;
}

/** The signals passed on to the child while it runs (on a terminal, SIGINT and SIGQUIT reach it directly and are not sent twice). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * The signals we die of ourselves when the child died of them: only those whose default action
 * simply ends a process and that Node leaves alone. Not one that dumps core (SIGQUIT, SIGABRT,
 * SIGSEGV…): our memory holds the secrets we handed the child, and a core file (or
 * systemd-coredump's store) would keep them. Not SIGUSR1: Node answers it by opening its
 * inspector on 127.0.0.1:9229, which any local process may attach to. Not SIGUSR2 or SIGPROF
 * (heap snapshot and profiler signals under some NODE_OPTIONS), nor SIGPIPE (ignored). For
 * those we exit with 128+n, which is what a shell reports for them anyway.
 */
export const RERAISED_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGKILL', 'SIGALRM']);

/**
 * The child's environment: ours, with the resolved credentials over any variable of the same
 * name, and without `unset` (our other variables for the same credentials, which a tool would
 * take over the resolved one).
 */
export function childEnv(base: NodeJS.ProcessEnv, variables: readonly ExecVariable[], unset: readonly { name: string }[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const u of unset) delete env[u.name];
  for (const v of variables) env[v.name] = v.value;
  return env;
}

/** Where a variable's value came from, without the value: `profile anthropic:work` or `env ANTHROPIC_API_KEY (gateway)`. */
export function variableSource(v: ExecVariable): string {
  return v.source === 'profile' && v.profileId ? `profile ${v.profileId}` : `the gateway's environment (${v.name})`;
}

/** `--print-names`: one line per variable, `NAME  provider  source`, and the providers without one. */
function printNames(env: ActionEnv, r: ExecCredentialsResult): void {
  // Only those the caller has: the others would not be there to remove.
  const removed = (r.unset ?? []).filter((u) => process.env[u.name] !== undefined);
  if (env.json) {
    printJson({
      agent: r.agent,
      variables: r.variables.map(({ name, provider, profileId, source }) => ({ name, provider, profileId, source })),
      missing: r.missing,
      unset: removed,
      notes: r.notes ?? [],
    });
    return;
  }
  const s = env.style;
  if (r.variables.length === 0) process.stdout.write(`${s.dim('(no variable would be set)')}\n`);
  const width = Math.max(0, ...r.variables.map((v) => v.name.length), ...removed.map((u) => u.name.length));
  const pw = Math.max(0, ...r.variables.map((v) => v.provider.length), ...removed.map((u) => u.provider.length));
  for (const v of r.variables) process.stdout.write(`${s.bold(v.name.padEnd(width))}  ${v.provider.padEnd(pw)}  ${s.dim(`from ${variableSource(v)}`)}\n`);
  for (const u of removed)
    process.stdout.write(
      `${s.bold(u.name.padEnd(width))}  ${u.provider.padEnd(pw)}  ${s.dim('yours, not passed on: a tool would take it over the one set')}\n`,
    );
}

/** A daemon reason on one line (a recovery hint may span several). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Exit code of a shell for a command that could not start: 127 not found, 126 found but not
 * runnable. ENOENT for a file that is there means what it needs is not: the interpreter its
 * `#!` line names (or, for a binary, its loader), as bash says too.
 */
export function spawnFailureCode(code: string | undefined, found = false): { exit: number; why: string } {
  if (code === 'ENOENT') return { exit: 127, why: found ? 'cannot execute: required file not found (the interpreter on its #! line?)' : 'command not found' };
  if (code === 'EACCES' || code === 'EPERM') return { exit: 126, why: 'permission denied (not executable)' };
  if (code === 'ENOEXEC') return { exit: 126, why: 'cannot execute (not a binary or script with #!)' };
  return { exit: 126, why: `cannot run it (${code ?? 'unknown error'})` };
}

/**
 * Whether a Ctrl-C or Ctrl-\ typed now reaches the child without us: one of our stdio is a
 * terminal and our process group (the child's) is that terminal's foreground group. Not "stdin
 * is a TTY": `cat prompt | opensoul exec -- claude -p` in a terminal has a pipe for stdin, yet
 * the terminal's Ctrl-C reaches the child, and a job put in the background keeps the TTY on
 * stdin, yet none does. On Linux /proc/self/stat names the terminal's foreground group (tpgid)
 * beside ours (pgrp); elsewhere a TTY on stdio is taken to mean we are in the foreground. A
 * SIGINT sent by `kill` to us alone while we are in the foreground is therefore not passed on.
 */
export function terminalSignalsReachChild(): boolean {
  if (!process.stdin.isTTY && !process.stdout.isTTY && !process.stderr.isTTY) return false;
  if (process.platform !== 'linux') return true;
  try {
    return foregroundOfTerminal(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return true; // no /proc: as on other systems
  }
}

/** From /proc/<pid>/stat: whether the process has a controlling terminal and is in its foreground process group. */
export function foregroundOfTerminal(stat: string): boolean {
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // state ppid pgrp session tty_nr tpgid …
  const pgrp = Number(fields[2]);
  const ttyNr = Number(fields[4]);
  const tpgid = Number(fields[5]);
  return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp;
}

/**
 * Runs the child and settles with our exit code once it ends (after re-raising a fatal signal on
 * ourselves). `after` runs once the child has ended, before that: the proxy key is revoked then.
 */
function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, after: () => Promise<void> = () => Promise.resolve()): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env, shell: false });
    // On a terminal, Ctrl-C and Ctrl-\ already reach the child (it is in our foreground process
    // group): passing them on again would deliver two, and tools such as Claude Code read a
    // second Ctrl-C as "quit". We still catch them, so we outlive a child that handles them.
    const forward = (sig: NodeJS.Signals) => () => {
      if ((sig === 'SIGINT' || sig === 'SIGQUIT') && terminalSignalsReachChild()) return;
      // The child may already be gone; nothing to forward then.
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    const handlers = FORWARDED_SIGNALS.map((sig) => [sig, forward(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    const unhook = () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      // 'error' without a start: the command never ran (a running child reports through 'exit').
      if (child.pid !== undefined) return;
      unhook();
      const found = command.includes('/') ? existsSync(command) : findOnPath(command, env.PATH) !== null;
      const f = spawnFailureCode(err.code, found);
      process.stderr.write(`opensoul: ${command}: ${f.why}\n`);
      void after().finally(() => resolve(f.exit));
    });
    child.once('exit', (code, signal) => void after().finally(() => exited(code, signal)));
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      unhook();
      if (signal) {
        // Die of the same signal, as a shell reports it; with our handlers gone its default action
        // applies. A signal whose default is not to end a process leaves the shell's 128+n.
        const n = constants.signals[signal] ?? 0;
        if (!RERAISED_SIGNALS.has(signal)) {
          resolve(128 + n);
          return;
        }
        try {
          process.kill(process.pid, signal);
        } catch {
          /* not ours to send: fall back to the code */
        }
        setTimeout(() => resolve(128 + n), 100);
        return;
      }
      resolve(code ?? 0);
    };
  });
}

/** Runs `opensoul exec`; returns the exit code (the child's, or 127/126 when it could not start). */
export async function runExec(env: ActionEnv, o: ExecOptions, command: string[]): Promise<number> {
  if (o.proxy) return runThroughProxy(env, o, command);
  const providers = o.provider ?? [];
  const r = await callDaemon(methods.execCredentials, {
    ...(o.agent ? { agent: o.agent } : {}),
    ...(providers.length > 0 ? { providers } : {}),
    ...(o.session ? { session: o.session } : {}),
  });
  if (!(o.printNames && env.json)) {
    for (const note of r.notes ?? []) process.stderr.write(`opensoul: warning: ${oneLine(note)}\n`);
    for (const m of r.missing) process.stderr.write(`opensoul: warning: no credential for ${m.provider}: ${oneLine(m.reason)}\n`);
  }
  if (o.printNames) {
    printNames(env, r);
    return 0;
  }
  const [cmd, ...args] = command;
  if (cmd === undefined) return 0;
  return runChild(cmd, args, childEnv(process.env, r.variables, r.unset));
}

/** How often a run whose connection dropped (the daemon restarting) tries to hold its key again: well within the daemon's minute of grace. */
const REHOLD_EVERY_MS = 2000;

/**
 * `exec --proxy`: the child gets the gateway's local proxy — `ANTHROPIC_BASE_URL`,
 * `OPENAI_BASE_URL` and a proxy key for this run — and no provider secret at all. The key has
 * no expiry of its own (`--proxy-ttl` sets one): it lives while this process holds it on its
 * connection, is revoked as soon as the child ends, and, if we are killed first, by the daemon a
 * minute after our connection closed. When the daemon restarts under a running child, we
 * reconnect and hold the key again.
 */
async function runThroughProxy(env: ActionEnv, o: ExecOptions, command: string[]): Promise<number> {
  const providers = o.provider ?? [];
  const params = {
    ...(o.agent ? { agent: o.agent } : {}),
    ...(providers.length > 0 ? { providers } : {}),
    ...(o.proxyTtl ? { ttlMs: o.proxyTtl } : {}),
  };
  let conn = await connectToDaemon();
  let r: ProxyEnvResult;
  // `--print-names` runs nothing: its key is revoked at once, nothing holds it.
  let held = !o.printNames;
  try {
    r = await conn.call(methods.proxyEnv, held ? { ...params, hold: true } : params);
  } catch (err) {
    // A daemon older than this CLI knows no `hold`: its key expires after an hour (or --proxy-ttl) instead.
    if (!(err instanceof OpenSoulError && err.kind === 'INVALID_PARAMS' && err.details.path === 'params.hold')) {
      conn.close();
      throw err;
    }
    held = false;
    r = await conn.call(methods.proxyEnv, params);
  }
  let done = false;
  const revoke = async () => {
    done = true;
    const c = conn.isOpen ? conn : await connectToDaemon({ quiet: true }).catch(() => null);
    await c?.call(methods.proxyKeyRevoke, { id: r.keyId }).catch(() => undefined);
    c?.close();
    conn.close();
  };
  if (o.printNames) {
    await revoke();
    // The expiry a run's key would get (none unless --proxy-ttl), not that of the key made here and revoked already.
    if (env.json) printJson({ proxy: r.url, variables: r.variables.map((v) => v.name), expiresAt: o.proxyTtl ? Date.now() + o.proxyTtl : null });
    else {
      // The key made to learn these names is revoked already: a run gets one of its own.
      const width = Math.max(...r.variables.map((v) => v.name.length));
      for (const v of r.variables)
        process.stdout.write(
          `${env.style.bold(v.name.padEnd(width))}  ${env.style.dim(/_API_KEY$/.test(v.name) ? 'a proxy key made for each run' : v.value)}\n`,
        );
    }
    return 0;
  }
  const [cmd, ...args] = command;
  if (cmd === undefined) {
    await revoke();
    return 0;
  }
  // Held again on a new connection whenever the one holding it closes (the daemon restarted, or
  // dropped us to admit others) until the child ends; given up, with one line, if the key is gone.
  const holdAgain = (): void => {
    if (done) return;
    const timer = setTimeout(() => {
      void connectToDaemon({ quiet: true })
        .then(async (c) => {
          try {
            if (!done) await c.call(methods.proxyKeyHold, { id: r.keyId });
          } catch (err) {
            c.close();
            throw err;
          }
          // The child may have ended while we asked: its key is revoked by then, and an open
          // connection would keep this process alive for nothing.
          if (done) return c.close();
          conn = c;
          c.onClose(holdAgain);
        })
        .catch((err: unknown) => {
          if (done) return;
          if (err instanceof OpenSoulError && err.kind === 'INVALID_INPUT') {
            process.stderr.write(`opensoul: warning: the proxy key of this run is gone (${oneLine(err.message)}); the command's requests will be refused\n`);
            return;
          }
          holdAgain();
        });
    }, REHOLD_EVERY_MS);
    timer.unref();
  };
  if (held) conn.onClose(holdAgain);
  // Provider secrets our own shell holds are not the child's business through the proxy.
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_OAUTH_TOKEN']) delete base[name];
  const vars = r.variables.map((v) => ({ name: v.name, value: v.value, provider: '', profileId: null, source: 'env' as const }));
  return runChild(cmd, args, childEnv(base, vars), revoke);
}
