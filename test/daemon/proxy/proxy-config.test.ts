/** `proxy.*` in opensoul.json: defaults, ports (0 = ephemeral), limits; a bad field is named and its default kept. */
import assert from 'node:assert/strict';
import { PROXY_DEFAULTS, readConfig } from '../../../daemon/config/config.js';
import { listenHostProblem } from '../../../daemon/proxy/proxy-routes.js';
import { plain } from '../../support/plain.js';

describe('proxy config', () => {
  it('is off by default, on loopback', () => {
    const { config } = readConfig({});
    assert.deepEqual(plain(config.proxy), plain(PROXY_DEFAULTS));
    assert.equal(config.proxy.enabled, false);
    assert.equal(config.proxy.host, '127.0.0.1');
  });

  it('reads every field, port 0 included', () => {
    const { config, warnings } = readConfig({
      proxy: { enabled: true, port: 0, host: '::1', maxBodyBytes: 1024, maxConcurrent: 4, maxConnections: 16, bodyTimeoutMs: 700, upstreamTimeoutMs: 5000 },
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(plain(config.proxy), {
      enabled: true,
      port: 0,
      host: '::1',
      maxBodyBytes: 1024,
      maxConcurrent: 4,
      maxConnections: 16,
      bodyTimeoutMs: 700,
      upstreamTimeoutMs: 5000,
    });
  });

  it('names each bad field and keeps its default', () => {
    const { config, warnings } = readConfig({ proxy: { enabled: 'yes', port: 70000, host: 1, maxBodyBytes: -1, maxConcurrent: 'many', maxConnections: 0 } });
    assert.deepEqual(plain(warnings), [
      'proxy.enabled: expected true or false; ignored',
      'proxy.port: expected a port number from 0 to 65535 (0: any free port); ignored',
      'proxy.host: expected "127.0.0.1" or "::1"; ignored',
      'proxy.maxBodyBytes: expected a positive number; ignored',
      'proxy.maxConcurrent: expected a positive number; ignored',
      'proxy.maxConnections: expected a positive number; ignored',
    ]);
    assert.deepEqual(plain(config.proxy), plain(PROXY_DEFAULTS));
  });

  it('keeps a non-loopback host as written, for the proxy to refuse by name', () => {
    const { config, warnings } = readConfig({ proxy: { host: '0.0.0.0' } });
    assert.deepEqual(warnings, []);
    assert.equal(config.proxy.host, '0.0.0.0');
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.2', '127.0.0.2', ''])
      assert.match(listenHostProblem(host) ?? '', /^proxy\.host ".*" is refused/, host);
    assert.equal(listenHostProblem('127.0.0.1'), null);
    assert.equal(listenHostProblem('::1'), null);
  });
});
