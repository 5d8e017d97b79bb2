/**
 * The loopback redirect (RFC 8252 §7.3): a small HTTP server on 127.0.0.1 (and ::1 when the
 * redirect says `localhost`) that receives the browser's redirect with `code` and `state`. It
 * answers with a plain page that holds no token, refuses a `state` that is not this login's
 * (400, and the login goes on waiting; compared in constant time), and is closed after the first
 * good callback, on cancel, or when the login expires.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { sameState } from './pkce.js';

/** Where the listener listens, from the provider's redirect URI. */
export type ListenPlan = { mode: 'loopback'; port: number; path: string; host: 'localhost' | '127.0.0.1' | null } | { mode: 'paste' };

/**
 * null: an ephemeral port on 127.0.0.1 and `/callback`. `http://localhost:<port>/…` or
 * `http://127.0.0.1:<port>/…`: that port and path. Anything else (an https page of the
 * provider's, which shows the code): no listener, the person pastes.
 */
export function listenPlan(redirectUri: string | null): ListenPlan {
  if (redirectUri === null) return { mode: 'loopback', port: 0, path: '/callback', host: null };
  let u: URL;
  try {
    u = new URL(redirectUri);
  } catch {
    return { mode: 'paste' };
  }
  if (u.protocol !== 'http:' || (u.hostname !== 'localhost' && u.hostname !== '127.0.0.1')) return { mode: 'paste' };
  return { mode: 'loopback', port: u.port === '' ? 80 : Number(u.port), path: u.pathname || '/', host: u.hostname };
}

/** What the browser brought back with the right state. */
export type CallbackResult = { code: string } | { error: string };

/** A running listener. */
export interface CallbackListener {
  /** The redirect URI to send in the authorization request (and again in the code exchange). */
  redirectUri: string;
  /** Settles with the first callback that carries this login's state. */
  result: Promise<CallbackResult>;
  close(): void;
}

const PAGE = (title: string, line: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${line}</p></body></html>\n`;

function send(res: ServerResponse, status: number, title: string, line: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The page must not be framed or load anything: it is shown once and closed.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(PAGE(title, line));
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/**
 * Starts the listener for a loopback plan. Rejects (EADDRINUSE) when a fixed port is taken, on
 * 127.0.0.1 or (for `localhost`) on ::1 — e.g. by the provider's own CLI logging in at the same
 * time; the caller then falls back to paste. A host without IPv6 gets 127.0.0.1 alone.
 */
export async function startCallbackListener(plan: Extract<ListenPlan, { mode: 'loopback' }>, expectedState: string): Promise<CallbackListener> {
  let settle!: (r: CallbackResult) => void;
  const result = new Promise<CallbackResult>((resolve) => (settle = resolve));
  let done = false;
  const servers: Server[] = [];
  const close = () => {
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== plan.path) {
      send(res, 404, 'Not found', 'This address only receives the sign-in redirect of an OpenSoul login.');
      return;
    }
    if (done) {
      send(res, 410, 'Already done', 'This login is already complete. You can close this tab.');
      return;
    }
    if (!sameState(url.searchParams.get('state'), expectedState)) {
      send(
        res,
        400,
        'Sign-in not accepted',
        'This sign-in link does not belong to the login in progress (its state does not match). Start the login again from your terminal.',
      );
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (!error && !code) {
      send(res, 400, 'Sign-in not accepted', 'The redirect carries no code. Start the login again from your terminal.');
      return;
    }
    done = true;
    if (error) {
      send(res, 200, 'Sign-in refused', 'The provider did not grant access. You can close this tab; your terminal says what happened.');
      settle({ error: /^[a-z_]{1,64}$/.test(error) ? error : 'an error' });
    } else {
      send(res, 200, 'Signed in', 'OpenSoul received the sign-in. You can close this tab.');
      settle({ code: code as string });
    }
    // After the page went out: nothing else should reach this port.
    res.once('finish', () => setImmediate(close));
  };
  // Loaded here, not with the daemon: only a browser login needs an HTTP server, and an idle daemon
  // that never loads node:http idles ~0.5 MiB smaller (bench: 53.5 → 53.0 MiB; its modules and the binary code they run).
  const { createServer } = await import('node:http');
  const v4 = createServer(handler);
  servers.push(v4);
  const port = await listen(v4, plan.port, '127.0.0.1');
  if (plan.host === 'localhost') {
    // `localhost` may resolve to ::1 in the browser; listen there too when the host has IPv6.
    const v6 = createServer(handler);
    try {
      await listen(v6, port, '::1');
      servers.push(v6);
    } catch (err) {
      v6.close();
      // Taken on ::1 (another local user's program, say): browsers that try ::1 first would hand
      // it the redirect, code and state. Refused like a taken port, so the person pastes instead.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        close();
        throw err;
      }
    }
  }
  const host = plan.host ?? '127.0.0.1';
  return { redirectUri: `http://${host}:${port}${plan.path}`, result, close };
}
