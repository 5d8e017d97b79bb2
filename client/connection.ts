/**
 * Connecting from the CLI: the same path functions as the daemon (ipc/paths), then hello. A
 * version mismatch is never refused; the CLI says so on stderr, once per command (§5).
 */
import type { ConnectOptions, Connection } from '../ipc/client.js';
import type { Method } from '../ipc/protocol.js';
import { processPathContext, resolveSocket, resolveStateDir, statePaths } from '../ipc/paths.js';
import type { SocketLocation, StatePaths } from '../ipc/paths.js';
import { VERSION } from '../ipc/version.js';

export interface Locations {
  paths: StatePaths;
  socket: SocketLocation;
}

export function locate(): Locations {
  const ctx = processPathContext();
  const stateDir = resolveStateDir(ctx);
  return { paths: statePaths(stateDir), socket: resolveSocket(stateDir, ctx) };
}

export function skewLine(daemonVersion: string, cliVersion: string): string | null {
  if (daemonVersion === cliVersion) return null;
  return `daemon v${daemonVersion} is running, this CLI is v${cliVersion}: restart it with \`opensoul gateway restart\``;
}

type DaemonOptions = { requestTimeoutMs?: number; quiet?: boolean; onPush?: (method: string, params: unknown) => void };

function connectOptions(opts: DaemonOptions): ConnectOptions {
  const { paths, socket } = locate();
  return {
    socketPath: socket.path,
    location: socket,
    tokenPath: paths.token,
    clientVersion: VERSION,
    connectTimeoutMs: 5000,
    ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.onPush ? { onPush: opts.onPush } : {}),
  };
}

function sayVersionSkew(c: Connection, opts: DaemonOptions): void {
  const skew = skewLine(c.hello.daemonVersion, VERSION);
  if (skew && !opts.quiet) process.stderr.write(`${skew}\n`);
}

/** Connects; prints the version-skew line unless `quiet` (doctor reports skew as a check of its own). */
export async function connectToDaemon(opts: DaemonOptions = {}): Promise<Connection> {
  // Loaded on demand: `--help` and `--version` never pay for net and the JSON-RPC client.
  const { connect } = await import('../ipc/client.js');
  const c = await connect(connectOptions(opts));
  sayVersionSkew(c, opts);
  return c;
}

/** One call on a fresh connection: the thin-CLI pattern (connect → call → close), sent in one go with the hello. */
export async function callDaemon<P, R>(m: Method<string, P, R>, params: P, opts: { timeoutMs?: number } = {}): Promise<R> {
  const { connectAndCall } = await import('../ipc/client.js');
  const { connection, result } = await connectAndCall(connectOptions({}), m, params, opts.timeoutMs);
  try {
    sayVersionSkew(connection, {});
    return await result;
  } finally {
    connection.close();
  }
}
