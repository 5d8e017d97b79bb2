/** daemon/sessions/session-replies: the reply texts, rendered from a hand-built status; masked secrets only. */
import assert from 'node:assert/strict';
import {
  nextCallLabel,
  pickOutOfRange,
  profileFlags,
  profileNotFound,
  profileOfOtherProvider,
  profilesInOrder,
  renderHelp,
  renderModelList,
  renderModelStatus,
  renderNewConversation,
  renderSwitched,
  renderUnknownCommand,
} from '../../../daemon/sessions/session-replies.js';
import type { SessionView } from '../../../daemon/sessions/session-view.js';
import { assertNoSecrets } from '../../support/harness.js';
import { NOW, SECRETS, sampleStatus } from './status-fixture.js';

const view = (over: Partial<SessionView> = {}): SessionView => ({
  id: 's1',
  agent: 'main',
  model: 'anthropic/claude-opus-4-5',
  provider: 'anthropic',
  modelFromSession: true,
  pin: null,
  notes: [],
  ...over,
});

describe('session replies', () => {
  it('/model: current model and credential, numbered models with aliases and tags, how to switch', () => {
    const text = renderModelList({
      view: view({ pin: 'anthropic:work' }),
      items: [
        { ref: 'anthropic/claude-sonnet-4-5', aliases: ['sonnet'], isDefault: true, isFallback: false, isCurrent: false },
        { ref: 'anthropic/claude-opus-4-5', aliases: ['opus'], isDefault: false, isFallback: false, isCurrent: true },
      ],
      exampleProfile: 'anthropic:work',
    });
    assert.equal(
      text,
      [
        'Current: anthropic/claude-opus-4-5 (opus)',
        'Credential: anthropic:work (pinned)',
        '',
        'Models:',
        '  1. anthropic/claude-sonnet-4-5 (sonnet)  [default]',
        '  2. anthropic/claude-opus-4-5 (opus)  [current]',
        '',
        'Switch: /model <n>, /model <alias> or /model <provider/model>',
        'Pin a credential: /model <ref>@<profileId>, e.g. /model sonnet@anthropic:work',
        'More: /model status',
      ].join('\n'),
    );
  });

  it('flags: next, lastGood, pinned, cooldown 3m, disabled billing 4h, exp 11mo, credential_scope until replaced', () => {
    const status = sampleStatus();
    const [anthropic, openai] = status.providers;
    const byId = (id: string) => [...anthropic!.profiles, ...openai!.profiles].find((p) => p.id === id)!;
    assert.deepEqual(profileFlags(byId('anthropic:work'), 'anthropic:work', NOW), ['next', 'pinned', 'exp 11mo']);
    assert.deepEqual(profileFlags(byId('anthropic:default'), null, NOW), ['lastGood', 'cooldown 3m']);
    assert.deepEqual(profileFlags(byId('openai:main'), null, NOW), ['next', 'disabled billing 4h']);
    assert.deepEqual(profileFlags(byId('anthropic:scoped'), null, NOW), ['disabled credential_scope until replaced']);
  });

  it('/model status: current, default, agent, store, per provider the endpoint, candidates in order and the next call', () => {
    const text = renderModelStatus({
      view: view({ pin: 'anthropic:work' }),
      defaultModel: 'anthropic/claude-sonnet-4-5',
      status: sampleStatus(),
      home: '/home/me',
    });
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      'Current: anthropic/claude-opus-4-5',
      'Credential: anthropic:work (pinned)',
      'Default: anthropic/claude-sonnet-4-5',
      'Agent: main',
      'Auth store: /state/agents/main/agent/auth-profiles.json',
    ]);
    const a = lines.indexOf('[anthropic] endpoint: default, order: pinned');
    assert.ok(a > 0, text);
    assert.match(lines[a + 1]!, /^ {2}- anthropic:work \(me@example\.com\) token sk-ant-o\.\.\.work \(next, pinned, exp 11mo\)$/);
    assert.match(lines[a + 2]!, /^ {2}- anthropic:default api-key sk-ant-a\.\.\.dflt \(lastGood, cooldown 3m\)$/);
    assert.match(lines[a + 3]!, /^ {2}- anthropic:scoped token .* \(disabled credential_scope until replaced\)$/);
    assert.match(lines[a + 4]!, /use an Anthropic API key instead/);
    assert.equal(lines[a + 5], '  - env ANTHROPIC_API_KEY sk-ant-a...envk (/state/.env)');
    assert.equal(lines[a + 6], '  Next call: anthropic:work (pinned)');
    assert.ok(lines.includes('[openai] endpoint: http://127.0.0.1:8080/v1, order: config auth.order'), text);
    assertNoSecrets(Object.values(SECRETS), { status: text });
  });

  it('/model status shows paths under the home dir as ~/…, as the CLI does', () => {
    const status = sampleStatus();
    const text = renderModelStatus({ view: view(), defaultModel: 'anthropic/claude-sonnet-4-5', status, home: '/state' });
    assert.ok(text.split('\n').includes('Auth store: ~/agents/main/agent/auth-profiles.json'), text);
    assert.ok(text.includes('  - env ANTHROPIC_API_KEY sk-ant-a...envk (~/.env)'), text);
    assert.ok(!text.includes('/state/'), text);
  });

  it('/model status shows control characters and line feeds in ids and paths from files as ^[ and ^J: no fake line, no escape', () => {
    const status = sampleStatus();
    const hostile = 'anthropic:work\nanthropic:fake api-key sk-ant-a...xxxx (next)\u001b]0;t\u0007';
    const work = status.providers[0]!.profiles.find((p) => p.id === 'anthropic:work')!;
    Object.assign(work, { id: hostile, label: hostile });
    const text = renderModelStatus({ view: view({ pin: hostile }), defaultModel: 'anthropic/claude-sonnet-4-5', status, order: { anthropic: [hostile] } });
    // eslint-disable-next-line no-control-regex -- no control character but the reply's own line ends
    assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.ok(!text.split('\n').some((l) => l.startsWith('anthropic:fake')), text);
    assert.match(text, /- anthropic:work\^Janthropic:fake .*\^\[\]0;t\^G .*\(next, pinned/);
  });

  it('uses the call order when the caller gives it', () => {
    const anthropic = sampleStatus().providers[0]!;
    const ids = profilesInOrder(anthropic, null, ['anthropic:default', 'anthropic:work']).map((p) => p.id);
    assert.deepEqual(ids, ['anthropic:default', 'anthropic:work', 'anthropic:scoped']);
  });

  it('says what the next call uses when the pin cannot be used, and when nothing is available', () => {
    const status = sampleStatus();
    const anthropic = status.providers[0]!;
    assert.match(nextCallLabel(anthropic, 'anthropic:default', NOW), /^anthropic:default \(pinned, cooldown 3m\): calls fail until it is usable again/);
    const openai = status.providers[1]!;
    assert.equal(
      nextCallLabel({ ...openai, profiles: openai.profiles.map((p) => ({ ...p, next: false })) }, null, NOW),
      'none available now (openai:main is back in 4h)',
    );
    assert.equal(nextCallLabel(undefined, null, NOW), 'none: no credential');
  });

  it('names a provider with no credential at all, with its recovery hint', () => {
    const text = renderModelStatus({
      view: view({ model: 'openrouter/meta/llama', provider: 'openrouter' }),
      defaultModel: 'anthropic/claude-sonnet-4-5',
      status: sampleStatus(),
    });
    assert.match(text, /\[openrouter\] no credential\n {2}Put an API key in ~\/\.opensoul\/\.env as OPENROUTER_API_KEY/);
  });

  it('switch replies: a pin (locked, how to unpin, a warning when it cannot be used now) and an unpin', () => {
    const status = sampleStatus();
    const scoped = status.providers[0]!.profiles.find((p) => p.id === 'anthropic:scoped')!;
    const pinned = renderSwitched({ view: view({ pin: 'anthropic:scoped' }), aliases: ['opus'], previousPin: null, pinned: scoped, now: NOW });
    const switched =
      'Model set to anthropic/claude-opus-4-5 (opus).\n' +
      'Pinned to anthropic:scoped (token sk-ant-o...scop): every call of this session uses it and never rotates to another.';
    assert.ok(pinned.startsWith(switched), pinned);
    assert.match(pinned, /Note: anthropic:scoped cannot be used right now \(disabled credential_scope until replaced\)/);
    assert.match(pinned, /Fix: this credential only works in the provider's own client: use an Anthropic API key instead\./);
    assert.match(pinned, /Unpin: \/model opus \(without @\)\./);
    const unpinned = renderSwitched({
      view: view({ modelFromSession: false, model: 'anthropic/claude-sonnet-4-5' }),
      aliases: [],
      previousPin: 'anthropic:work',
      now: NOW,
    });
    assert.equal(
      unpinned,
      [
        "Model set to anthropic/claude-sonnet-4-5 (the agent's default).",
        'The pin on anthropic:work is removed.',
        "Credential: auto (the agent's order) for anthropic.",
      ].join('\n'),
    );
    assertNoSecrets(Object.values(SECRETS), { pinned, unpinned });
  });

  it("refusals use OpenClaw's wording", () => {
    assert.equal(profileNotFound('anthropic:nope'), 'Auth profile "anthropic:nope" not found.');
    assert.equal(profileOfOtherProvider('openai:main', 'openai', 'anthropic'), 'Auth profile "openai:main" is for openai, not anthropic.');
    assert.match(pickOutOfRange(3, 0), /no numbered list/);
    assert.match(pickOutOfRange(7, 5), /no model 7 in the last list \(it has 1 to 5\)/);
  });

  it('help, unknown commands and /new', () => {
    assert.match(renderHelp(), /\/model status/);
    assert.match(renderHelp(), /\/new/);
    assert.equal(renderUnknownCommand('foo'), 'Unknown command /foo. Known: /model (switch model or credential), /new (clear the conversation), /help.');
    assert.match(
      renderNewConversation(view(), true),
      /^New conversation: the history of this session is cleared\.\nModel anthropic\/claude-opus-4-5 and credential auto/,
    );
  });
});
