/** The "Probes" table of `models status --probe`: columns, coloured outcomes, reasons with remedies, `--plain` lines, `--check`. */
import assert from 'node:assert/strict';
import { renderModelsStatus } from '../../../client/render/models-status.js';
import { formatLatency, probeLines, probePlainLines, probesFailCheck } from '../../../client/render/probes.js';
import { makeStyle } from '../../../client/render/style.js';
import { visibleWidth } from '../../../client/render/table.js';
import { computeModelsStatus } from '../../../daemon/status/models-status.js';
import type { ProbeResult } from '../../../ipc/protocol.js';
import { input } from '../../support/status-input.js';

const probe = (over: Partial<ProbeResult>): ProbeResult => ({
  profileId: 'anthropic:work',
  envVar: null,
  provider: 'anthropic',
  model: 'claude-haiku-4-5',
  status: 'ok',
  latencyMs: 412,
  error: null,
  remedy: null,
  ...over,
});

const probes: ProbeResult[] = [
  probe({}),
  probe({
    profileId: 'anthropic:a-much-longer-id',
    status: 'credential_scope',
    latencyMs: 1250,
    error: 'This credential is only authorized for use with Claude Code',
    remedy: 'use an Anthropic API key instead',
  }),
  probe({ profileId: null, envVar: 'OPENAI_API_KEY', provider: 'openai', model: 'gpt-4o-mini', status: 'rate_limit', latencyMs: 88, error: 'HTTP 429' }),
];

describe('probes (human view)', () => {
  const plain = makeStyle(false);

  it('one aligned row per probe: profile or `env VAR`, provider, model, status, latency, reason — remedy', () => {
    const lines = probeLines(probes, plain);
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^ {2}anthropic:work +anthropic +claude-haiku-4-5 +ok +412ms$/);
    assert.match(lines[1] ?? '', /credential_scope +1\.3s +This credential is only authorized for use with Claude Code — use an Anthropic API key instead$/);
    assert.match(lines[2] ?? '', /^ {2}env OPENAI_API_KEY +openai +gpt-4o-mini +rate_limit +88ms +HTTP 429$/);
    const statusColumn = lines.map((l) => l.search(/ (ok|credential_scope|rate_limit) /));
    assert.equal(new Set(statusColumn).size, 1, lines.join('\n'));
  });

  it('colours outcomes on a colour terminal without moving the columns: green ok, red for the credential, yellow otherwise', () => {
    const colour = probeLines(probes, makeStyle(true));
    assert.ok(colour[0]?.includes('\u001b[32mok\u001b[39m'));
    assert.ok(colour[1]?.includes('\u001b[31mcredential_scope\u001b[39m'));
    assert.ok(colour[2]?.includes('\u001b[33mrate_limit\u001b[39m'));
    assert.deepEqual(colour.map(visibleWidth), probeLines(probes, plain).map(visibleWidth));
  });

  it('sits under its own heading in models status only when probes were asked for', () => {
    const status = computeModelsStatus(
      input({ profiles: { 'anthropic:work': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-' + 'B'.repeat(60) } } }),
    );
    assert.doesNotMatch(renderModelsStatus(status, plain), /Probes/);
    const text = renderModelsStatus({ ...status, probes }, plain);
    assert.match(text, /\nProbes\n {2}anthropic:work +anthropic/);
    assert.match(renderModelsStatus({ ...status, probes: [] }, plain), /Probes\n {2}\(nothing to probe/);
  });

  it('--plain: one tab-separated line each, for scripts', () => {
    assert.deepEqual(probePlainLines(probes), [
      'anthropic:work\tanthropic\tclaude-haiku-4-5\tok\t412',
      'anthropic:a-much-longer-id\tanthropic\tclaude-haiku-4-5\tcredential_scope\t1250\t' +
        'This credential is only authorized for use with Claude Code — use an Anthropic API key instead',
      'env OPENAI_API_KEY\topenai\tgpt-4o-mini\trate_limit\t88\tHTTP 429',
    ]);
  });

  it('--check fails on a bad credential (auth, auth_permanent, billing, credential_scope), not on a rate limit, timeout or network', () => {
    for (const status of ['auth', 'auth_permanent', 'billing', 'credential_scope'] as const) assert.equal(probesFailCheck([probe({ status })]), true, status);
    for (const status of ['ok', 'rate_limit', 'overloaded', 'timeout', 'network', 'format'] as const)
      assert.equal(probesFailCheck([probe({ status })]), false, status);
    assert.equal(probesFailCheck(undefined), false);
  });

  it('latency in ms below a second, else seconds', () => {
    assert.equal(formatLatency(0), '0ms');
    assert.equal(formatLatency(999.4), '999ms');
    assert.equal(formatLatency(12_345), '12.3s');
  });
});
