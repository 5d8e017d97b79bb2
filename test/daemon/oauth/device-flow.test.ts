/**
 * The device-code poll schedule (RFC 8628 §3.5): pending keeps the interval, slow_down adds 5 s
 * (or takes the server's longer one), the terminal errors stop; and the poller against a real
 * HTTP server on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { OpenSoulError } from '../../../ipc/errors.js';
import { MAX_BACKOFF_INTERVAL_MS, SLOW_DOWN_STEP_MS, nextPoll, pollDeviceTokens, requestDeviceCode } from '../../../daemon/oauth/device-flow.js';
import type { OAuthEndpoints } from '../../../daemon/oauth/oauth-providers.js';
import { onCleanup } from '../../support/harness.js';

/**
 * A device authorization and token endpoint on 127.0.0.1: `/device` hands out device code `code`
 * (user code ABCD-1234, a 1 s interval); every other request is a poll, answered by `onPoll`.
 */
async function deviceServer(code: string, onPoll: (body: string, req: IncomingMessage, res: ServerResponse) => void): Promise<OAuthEndpoints> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url !== '/device') return onPoll(body, req, res);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ device_code: code, user_code: 'ABCD-1234', verification_uri: 'https://example.test/device', interval: 1, expires_in: 60 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    provider: 'github-copilot',
    authorizeUrl: null,
    tokenUrl: `${base}/token`,
    deviceAuthorizationUrl: `${base}/device`,
    clientId: 'client-1',
    scopes: ['read:user'],
    redirectUri: null,
    tokenRequest: 'form',
    extraAuthorizeParams: {},
    stateInTokenRequest: false,
  };
}

describe('device flow', () => {
  it('schedules polls: pending keeps the interval, every slow_down adds 5 s, and the interval never shrinks', () => {
    const outcome = fc.constantFrom('authorization_pending', 'slow_down');
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 60_000 }), fc.array(outcome, { maxLength: 30 }), (start, script) => {
        let interval = start;
        let slowDowns = 0;
        for (const error of script) {
          const step = nextPoll(interval, { kind: 'error', error, interval: null });
          assert.equal(step.next, 'poll');
          if (step.next !== 'poll') return;
          assert.ok(step.intervalMs >= interval);
          interval = step.intervalMs;
          if (error === 'slow_down') slowDowns++;
        }
        assert.equal(interval, start + slowDowns * SLOW_DOWN_STEP_MS);
      }),
    );
    assert.deepEqual(nextPoll(5000, { kind: 'error', error: 'slow_down', interval: 30 }), { next: 'poll', intervalMs: 30_000 });
    assert.deepEqual(nextPoll(5000, { kind: 'tokens' }), { next: 'done' });
    for (const error of ['access_denied', 'expired_token', 'invalid_client', null])
      assert.equal(nextPoll(5000, { kind: 'error', error, interval: null }).next, 'fail');
  });

  it('a poll without an answer (or a 5xx/429 without an OAuth error) doubles the interval, up to a minute, and polling goes on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 120_000 }), (interval) => {
        const step = nextPoll(interval, { kind: 'unavailable' });
        assert.equal(step.next, 'poll');
        if (step.next !== 'poll') return;
        assert.equal(step.intervalMs, Math.max(interval, Math.min(2 * interval, MAX_BACKOFF_INTERVAL_MS)));
      }),
    );
  });

  it('keeps polling through a 503 page and a dropped connection (a network blip while the person types the code)', async function () {
    this.timeout(20_000);
    let polls = 0;
    const endpoints = await deviceServer('dev-2', (_body, req, res) => {
      polls++;
      if (polls === 1) {
        res.statusCode = 503;
        res.setHeader('content-type', 'text/html');
        res.end('<html><body>Service Unavailable</body></html>');
      } else if (polls === 2) {
        req.socket.destroy();
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: 'gho_FAKEafterblip', token_type: 'bearer' }));
      }
    });
    const device = await requestDeviceCode(endpoints, Date.now);
    const tokens = await pollDeviceTokens(endpoints, device, { now: Date.now, signal: new AbortController().signal });
    assert.equal(tokens.access, 'gho_FAKEafterblip');
    assert.equal(polls, 3);
  });

  it('polls a real token endpoint until it answers tokens, and stops on access_denied', async () => {
    const answers = [{ error: 'authorization_pending' }, { access_token: 'gho_FAKEdevice', token_type: 'bearer' }];
    const polls: Record<string, string>[] = [];
    const endpoints = await deviceServer('dev-1', (body, _req, res) => {
      polls.push(Object.fromEntries(new URLSearchParams(body)));
      const next = answers.shift() ?? { error: 'access_denied' };
      res.statusCode = 'access_token' in next ? 200 : 400;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(next));
    });
    const device = await requestDeviceCode(endpoints, Date.now);
    assert.equal(device.userCode, 'ABCD-1234');
    assert.equal(device.intervalMs, 1000);
    const tokens = await pollDeviceTokens(endpoints, device, { now: Date.now, signal: new AbortController().signal });
    assert.equal(tokens.access, 'gho_FAKEdevice');
    assert.equal(tokens.refresh, null);
    assert.equal(polls.length, 2);
    assert.deepEqual(polls[0], { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'dev-1', client_id: 'client-1' });
    await assert.rejects(
      pollDeviceTokens(endpoints, device, { now: Date.now, signal: new AbortController().signal }),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOGIN_FAILED' && /denied/.test(err.message),
    );
  });

  it('refuses a user code with control characters: the CLI prints it to a terminal', async () => {
    let userCode = '';
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ device_code: 'dev-1', user_code: userCode, verification_uri: 'https://example.test/device', expires_in: 60 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const endpoints: OAuthEndpoints = {
      provider: 'github-copilot',
      authorizeUrl: null,
      tokenUrl: `${base}/token`,
      deviceAuthorizationUrl: `${base}/device`,
      clientId: 'client-1',
      scopes: [],
      redirectUri: null,
      tokenRequest: 'form',
      extraAuthorizeParams: {},
      stateInTokenRequest: false,
    };
    for (const bad of ['\u001b]0;owned\u0007WDJB-MJHT', 'WDJB\u001b[2J', 'WDJB\nMJHT', 'WDJB\u009bMJHT']) {
      userCode = bad;
      await assert.rejects(
        requestDeviceCode(endpoints, Date.now),
        (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOGIN_FAILED' && /user_code/.test(err.message),
        JSON.stringify(bad),
      );
    }
    userCode = 'WDJB-MJHT';
    assert.equal((await requestDeviceCode(endpoints, Date.now)).userCode, 'WDJB-MJHT');
  });
});
