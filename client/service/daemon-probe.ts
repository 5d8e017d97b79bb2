/**
 * Asking the socket whether a gateway answers, waiting for one to come up or to go away, and
 * asking one to stop. Service commands decide on what the socket says, not on what a manager
 * believes: a daemon started by hand, by systemd or by `gateway start` looks the same here.
 */
import { connect } from '../../ipc/client.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { isProcessAlive } from '../../ipc/process.js';
import { methods } from '../../ipc/protocol.js';
import { VERSION } from '../../ipc/version.js';
import type { ServiceContext } from './context.js';

export type Probe = { readonly answers: true; readonly pid: number; readonly version: string } | { readonly answers: false; readonly reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One hello on the socket (a short time limit: a polling loop calls this). */
export async function probeDaemon(ctx: ServiceContext, timeoutMs = 2000): Promise<Probe> {
  try {
    const c = await connect({
      socketPath: ctx.socket.path,
      location: ctx.socket,
      tokenPath: ctx.paths.token,
      clientVersion: VERSION,
      connectTimeoutMs: timeoutMs,
    });
    c.close();
    return { answers: true, pid: c.hello.pid, version: c.hello.daemonVersion };
  } catch (err) {
    // Not "not running": starting or stopping on the strength of a socket dir another user owns
    // would mislead, so the refusal reaches the person as it is.
    if (err instanceof OpenSoulError && err.details.reason === 'unsafe-socket-dir') throw err;
    if (err instanceof OpenSoulError) return { answers: false, reason: typeof err.details.reason === 'string' ? err.details.reason : err.kind };
    return { answers: false, reason: 'error' };
  }
}

/**
 * Polls until the daemon answers (its pid), `gaveUp()` says to stop (a child that exited), or
 * the time is up (null).
 */
export async function waitUntilAnswers(ctx: ServiceContext, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gaveUp()) return null;
    const p = await probeDaemon(ctx, 1000);
    if (p.answers) return p.pid;
    if (gaveUp() || Date.now() >= deadline) return null;
    await sleep(100);
  }
}

/** Waits until `pid` is gone; false when it is still there after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** `gateway.shutdown` over the socket; false when nobody answered. */
export async function requestShutdown(ctx: ServiceContext, reason: string): Promise<boolean> {
  try {
    const c = await connect({ socketPath: ctx.socket.path, location: ctx.socket, tokenPath: ctx.paths.token, clientVersion: VERSION, connectTimeoutMs: 3000 });
    try {
      await c.call(methods.gatewayShutdown, { reason }, { timeoutMs: 5000 });
    } finally {
      c.close();
    }
    return true;
  } catch {
    return false;
  }
}
