/**
 * An OAuth token endpoint on 127.0.0.1 for the refresh tests: it issues access and refresh
 * tokens, honours only refresh tokens it issued and has not seen used (single use, as real
 * providers rotate them: a second refresh with an old one is refused with `invalid_grant`), and
 * counts requests. `mode` turns it into a server that refuses everything with an error code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './harness.js';

export interface FakeTokenServer {
  url: string;
  /** Token requests received (every POST). */
  requests: () => number;
  /** Access and refresh tokens issued so far, for the secret sweep. */
  issued: string[];
  /** A refresh token the server will honour once (the profile's initial one). */
  accept: (refreshToken: string) => void;
  /** What the next requests get: tokens (`ok`), or a refusal with this OAuth error code. */
  mode: { refuseWith: string | null; status: number; delayMs: number; expiresIn: number };
  close: () => Promise<void>;
}

let serial = 0;

export async function startFakeTokenServer(): Promise<FakeTokenServer> {
  const valid = new Set<string>();
  const issued: string[] = [];
  let requests = 0;
  const mode: FakeTokenServer['mode'] = { refuseWith: null, status: 400, delayMs: 150, expiresIn: 3600 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      requests++;
      const fields: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(body) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(body));
      const reply = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      setTimeout(() => {
        if (mode.refuseWith) return reply(mode.status, { error: mode.refuseWith, error_description: 'refused by the test server' });
        const used = typeof fields.refresh_token === 'string' ? fields.refresh_token : '';
        if (fields.grant_type !== 'refresh_token' || !fields.client_id || !valid.delete(used))
          return reply(400, { error: 'invalid_grant', error_description: 'refresh token is not valid' });
        serial++;
        const access = `sk-ant-oat01-FAKEACCESS${process.pid}x${serial}x${Math.random().toString(36).slice(2)}`;
        const refresh = `sk-ant-ort01-FAKEREFRESH${process.pid}x${serial}x${Math.random().toString(36).slice(2)}`;
        valid.add(refresh);
        issued.push(access, refresh);
        reply(200, { access_token: access, refresh_token: refresh, expires_in: mode.expiresIn, token_type: 'Bearer' });
      }, mode.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  onCleanup(close);
  return { url: `http://127.0.0.1:${port}/token`, requests: () => requests, issued, accept: (t) => valid.add(t), mode, close };
}
