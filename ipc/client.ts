/**
 * The client connection the CLI (and tests, and any Node tool) uses: connect to the socket,
 * authenticate with `gateway.hello`, then typed calls. Every way of not reaching the daemon
 * becomes one `DAEMON_UNREACHABLE` error with a reason — not running, stale socket, permission,
 * unresponsive — that the CLI prints as one line and exit code 3.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import { OpenSoulError, isErrorKind, kindOfRpcCode } from './errors.js';
import type { ErrorDetails } from './errors.js';
import { createLineReader, frame } from './framing.js';
import { EVENT_METHOD, methods } from './protocol.js';
import type { EventNotification, HelloResult, Method } from './protocol.js';
import { VERSION } from './version.js';

export interface ConnectOptions {
  socketPath: string;
  tokenPath: string;
  clientVersion?: string;
  /** How long to wait for the socket to accept and the hello to answer (default 5 s). */
  connectTimeoutMs?: number;
  /** Default time limit of a call (default 60 s). */
  requestTimeoutMs?: number;
  onNotification?: (event: EventNotification) => void;
}

/** Responses may be large (a status of many agents); the daemon's 1 MiB limit is on requests. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** JSON-RPC code this client uses internally for a call that timed out (never on the wire). */
const TIMEOUT_CODE = -32099;

export class Connection {
  private closed = false;
  constructor(
    private readonly socket: net.Socket,
    private readonly rpc: JSONRPCClient,
    readonly socketPath: string,
    readonly hello: HelloResult,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Calls a method of the protocol table; rejects with an OpenSoulError. */
  async call<P, R>(m: Method<string, P, R>, params: P, opts: { timeoutMs?: number } = {}): Promise<R> {
    return (await callRaw(this.rpc, this.socketPath, m.name, params, opts.timeoutMs ?? this.defaultTimeoutMs)) as R;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.socket.destroy();
  }
}

async function callRaw(rpc: JSONRPCClient, socketPath: string, name: string, params: unknown, timeoutMs: number): Promise<unknown> {
  try {
    return await rpc
      .timeout(timeoutMs, (id) => createJSONRPCErrorResponse(id, TIMEOUT_CODE, 'timeout'))
      .request(name, params);
  } catch (err) {
    throw toOpenSoulError(err, socketPath);
  }
}

function toOpenSoulError(err: unknown, socketPath: string): OpenSoulError {
  if (err instanceof OpenSoulError) return err;
  if (err instanceof JSONRPCErrorException) {
    if (err.code === TIMEOUT_CODE) return new OpenSoulError('DAEMON_UNREACHABLE', { reason: 'unresponsive', socket: socketPath });
    const data = (typeof err.data === 'object' && err.data !== null ? err.data : {}) as ErrorDetails;
    const kind = isErrorKind(data.code) ? data.code : (kindOfRpcCode(err.code) ?? 'INTERNAL');
    return new OpenSoulError(kind, data, err.message);
  }
  // json-rpc-2.0 rejects pending calls with a plain Error when the connection closes.
  return new OpenSoulError('DAEMON_UNREACHABLE', { reason: 'connection-lost', socket: socketPath });
}

function unreachable(reason: string, socketPath: string): OpenSoulError {
  return new OpenSoulError('DAEMON_UNREACHABLE', { reason, socket: socketPath });
}

function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable('unresponsive', socketPath));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason =
        err.code === 'ENOENT' ? 'not-running'
        : err.code === 'ECONNREFUSED' ? 'stale-socket'
        : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission'
        : 'connection-lost';
      reject(unreachable(reason, socketPath));
    });
  });
}

/** Connects and authenticates. Rejects with an OpenSoulError (DAEMON_UNREACHABLE, UNAUTHORIZED). */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  const socket = await openSocket(opts.socketPath, connectTimeoutMs);
  let token: string;
  try {
    token = (await readFile(opts.tokenPath, 'utf8')).trim();
  } catch {
    socket.destroy();
    throw unreachable('no-token', opts.socketPath);
  }
  const rpc = new JSONRPCClient((payload) => {
    if (!socket.destroyed) socket.write(frame(payload));
  });
  const reader = createLineReader(
    MAX_RESPONSE_BYTES,
    (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof msg === 'object' && msg !== null && 'method' in msg) {
        const m = msg as { method: unknown; params?: unknown };
        if (m.method === EVENT_METHOD && opts.onNotification) opts.onNotification(m.params as EventNotification);
        return;
      }
      rpc.receive(msg as never);
    },
    () => socket.destroy(),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', () => {
    /* reported through the pending calls, below */
  });
  socket.on('close', () => rpc.rejectAllPendingRequests('connection closed'));
  let hello: HelloResult;
  try {
    hello = (await callRaw(rpc, opts.socketPath, methods.hello.name, { token, clientVersion: opts.clientVersion ?? VERSION }, connectTimeoutMs)) as HelloResult;
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return new Connection(socket, rpc, opts.socketPath, hello, opts.requestTimeoutMs ?? 60_000);
}
