/** daemon/sessions/session-service: the owner of sessions, driven through its deps with plain values and a real temp dir. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SessionService } from '../../../daemon/sessions/session-service.js';
import type { SessionDeps } from '../../../daemon/sessions/session-service.js';
import { SessionStore } from '../../../daemon/sessions/session-store.js';
import { dict } from '../../../ipc/dict.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { assertNoSecrets, tempDir } from '../../support/harness.js';
import { NOW, SECRETS, sampleStatus } from './status-fixture.js';

function setup() {
  const dir = tempDir('opensoul-sess-');
  const profiles = dict<{ provider: string }>([
    ['anthropic:work', { provider: 'anthropic' }],
    ['anthropic:default', { provider: 'anthropic' }],
    ['anthropic:scoped', { provider: 'anthropic' }],
    ['openai:main', { provider: 'openai' }],
  ]);
  const warnings: string[] = [];
  const replies: string[] = [];
  const deps: SessionDeps = {
    sessionsPath: (agent) => path.join(dir, 'agents', agent, 'sessions', 'sessions.json'),
    aliases: () => dict([['fast', 'anthropic/claude-haiku-4-5']]),
    defaultModel: () => 'sonnet',
    fallbacks: () => ['openai/gpt-5'],
    knownProviders: () => ['anthropic', 'openai', 'openrouter'],
    profiles: () => profiles,
    status: (_agent, pin) => sampleStatus(pin ? { pinNext: pin } : {}),
    now: () => NOW,
    warn: (m) => warnings.push(m),
  };
  const make = () => new SessionService(deps);
  const service = make();
  const say = async (line: string, session = 's1', svc = service) => {
    const r = await svc.command('main', session, line);
    replies.push(r.reply);
    return r;
  };
  return { dir, deps, profiles, warnings, replies, service, make, say, file: deps.sessionsPath('main') };
}

describe('session service', () => {
  it('leaves other lines to the model, with the session as it is', async () => {
    const { say } = setup();
    const r = await say('hello there');
    assert.equal(r.handled, false);
    assert.equal(r.reply, '');
    assert.deepEqual(
      { model: r.session.model, provider: r.session.provider, pin: r.session.pin, fromSession: r.session.modelFromSession },
      {
        model: 'anthropic/claude-sonnet-4-5',
        provider: 'anthropic',
        pin: null,
        fromSession: false,
      },
    );
  });

  it('/model lists numbered models; /model <n> picks from that list', async () => {
    const { say, service } = setup();
    const list = await say('/model');
    assert.equal(list.handled, true);
    assert.match(list.reply, /^Current: anthropic\/claude-sonnet-4-5 \(sonnet\)\nCredential: auto/);
    const menu =
      '\n  1. anthropic/claude-sonnet-4-5 (sonnet)  [default, current]\n' +
      '  2. openai/gpt-5 (gpt)  [fallback]\n' +
      '  3. anthropic/claude-haiku-4-5 (fast, haiku)\n';
    assert.ok(list.reply.includes(menu), list.reply);
    assert.match(list.reply, /e\.g\. \/model sonnet@anthropic:default/);
    const pick = await say('/model 2');
    assert.match(pick.reply, /^Model set to openai\/gpt-5 \(gpt\)\./);
    assert.equal(service.view('main', 's1').model, 'openai/gpt-5');
    assert.match((await say('/model 9')).reply, /no model 9 in the last list \(it has 1 to \d+\)/);
    assert.match((await say('/model 1', 'other')).reply, /no numbered list in this session yet/);
  });

  it('pins with /model <ref>@<id>: locked, on disk, seen by a restarted service; /model <ref> unpins', async () => {
    const { say, service, make, file } = setup();
    const pinned = await say('/model opus@anthropic:work');
    assert.match(
      pinned.reply,
      /^Model set to anthropic\/claude-opus-4-5 \(opus\)\.\nPinned to anthropic:work \(token sk-ant-o\.\.\.work\): every call of this session uses it/,
    );
    assert.deepEqual([pinned.session.model, pinned.session.pin], ['anthropic/claude-opus-4-5', 'anthropic:work']);
    const entry = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>).s1!;
    assert.equal(entry.authProfileOverride, 'anthropic:work');
    assert.equal(entry.authProfileOverrideSource, 'user');
    assert.equal(entry.providerOverride, 'anthropic');
    assert.equal(entry.modelOverride, 'claude-opus-4-5');
    // A restart: a new service over the same file.
    const again = make().view('main', 's1');
    assert.deepEqual([again.model, again.pin, again.notes], ['anthropic/claude-opus-4-5', 'anthropic:work', []]);
    const status = await say('/model status');
    assert.match(status.reply, /\[anthropic\] endpoint: default, order: pinned/);
    assert.match(status.reply, /Next call: anthropic:work \(pinned\)/);
    const unpinned = await say('/model opus');
    assert.match(unpinned.reply, /The pin on anthropic:work is removed\./);
    assert.equal(service.view('main', 's1').pin, null);
    assert.equal(service.view('main', 's1').model, 'anthropic/claude-opus-4-5');
  });

  it('choosing the default model stores no override (a later default change applies); a pin on it is kept', async () => {
    const { say, service, file } = setup();
    await say('/model sonnet@anthropic:default');
    const v = service.view('main', 's1');
    assert.deepEqual([v.model, v.modelFromSession, v.pin], ['anthropic/claude-sonnet-4-5', false, 'anthropic:default']);
    const entry = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>).s1!;
    assert.equal(entry.modelOverride, undefined);
  });

  it("refuses pins of unknown profiles and of another provider, with OpenClaw's wording, changing nothing", async () => {
    const { say, service } = setup();
    assert.equal((await say('/model opus@anthropic:nope')).reply, 'Auth profile "anthropic:nope" not found.');
    assert.equal((await say('/model opus@openai:main')).reply, 'Auth profile "openai:main" is for openai, not anthropic.');
    assert.match((await say('/model acme/x')).reply, /^Unknown provider "acme"\. Known providers: anthropic, openai, openrouter\.$/);
    assert.match((await say('/model claude-opus-4-5')).reply, /neither an alias nor provider\/model/);
    const v = service.view('main', 's1');
    assert.deepEqual([v.model, v.pin], ['anthropic/claude-sonnet-4-5', null]);
  });

  it('drops a pin whose profile was removed: a note once, the file updated, the agent order again', async () => {
    const { say, service, make, profiles, file } = setup();
    await say('/model opus@anthropic:work');
    delete profiles['anthropic:work'];
    const first = service.view('main', 's1');
    assert.equal(first.pin, null);
    assert.deepEqual(first.notes, ["The pinned profile anthropic:work was removed; using the agent's order again."]);
    assert.deepEqual(service.view('main', 's1').notes, [], 'the note is given once');
    await service.idle();
    const entry = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>).s1!;
    assert.equal(entry.authProfileOverride, undefined);
    assert.equal(entry.modelOverride, 'claude-opus-4-5', 'the model choice stays');
    assert.deepEqual(make().view('main', 's1').notes, [], 'a restarted service has nothing left to say');
    // Pinning the same id again after it comes back, then removing it again, is noticed again.
    profiles['anthropic:work'] = { provider: 'anthropic' };
    await say('/model opus@anthropic:work');
    delete profiles['anthropic:work'];
    const r = await say('/model status');
    assert.match(r.reply, /^The pinned profile anthropic:work was removed; using the agent's order again\.\nCurrent: /);
    await service.idle();
  });

  it('a command carries the drop note in its reply', async () => {
    const { say, profiles, service } = setup();
    await say('/model opus@anthropic:work');
    delete profiles['anthropic:work'];
    const r = await say('/model');
    assert.match(r.reply, /^The pinned profile anthropic:work was removed/);
    assert.deepEqual(r.session.notes, ["The pinned profile anthropic:work was removed; using the agent's order again."]);
    await service.idle();
  });

  it('keeps the conversation bounded in memory; /new clears it and says so', async () => {
    const { say, service } = setup();
    for (let i = 0; i < 30; i++) service.appendTurn('main', 's1', { role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` });
    assert.equal(service.history('main', 's1').length, 40);
    const r = await say('/new');
    assert.match(r.reply, /^New conversation: the history of this session is cleared\./);
    assert.deepEqual(service.history('main', 's1'), []);
    assert.match((await say('/new')).reply, /there was no history to clear/);
  });

  it('answers unknown commands and /help without sending them to the model', async () => {
    const { say } = setup();
    const r = await say('/modle opus');
    assert.equal(r.handled, true);
    assert.match(r.reply, /^Unknown command \/modle\. Known: \/model .*\/new .*\/help/);
    assert.match((await say('/help')).reply, /^Commands:/);
  });

  it('says nothing changed when the sessions file does not parse, and never overwrites it', async () => {
    const { say, service, file } = setup();
    await say('/model opus');
    writeFileSync(file, '{ broken');
    const r = await say('/model gpt');
    assert.match(r.reply, /^Nothing changed: the session could not be saved\. .*sessions\.json does not parse/);
    assert.equal(readFileSync(file, 'utf8'), '{ broken');
    assert.equal(service.view('main', 's1').model, 'anthropic/claude-opus-4-5', 'the last good state is served');
  });

  it('a full disk: nothing changed and why, in the reply and the log; a removed pin that cannot be dropped is logged; never an internal error', async () => {
    const { deps, warnings, profiles } = setup();
    const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    class FullDisk extends SessionStore {
      override update(): Promise<never> {
        return Promise.reject(enospc());
      }
    }
    const store = new FullDisk();
    const service = new SessionService(deps, { store });
    const file = deps.sessionsPath('main');
    const r = await service.command('main', 's1', '/model opus');
    assert.equal(r.ok, false);
    assert.equal(r.reply, `Nothing changed: the session could not be saved. ${file} cannot be written: no space left on the disk (ENOSPC).`);
    assert.match((await service.command('main', 's1', '/model')).reply, /\n\(The numbers could not be saved, so \/model <n> will not work: .* \(ENOSPC\)\.\)$/);
    assert.deepEqual(warnings, [
      `${file} cannot be written: no space left on the disk (ENOSPC).`,
      `${file} cannot be written: no space left on the disk (ENOSPC).`,
    ]);
    // A pin whose profile went: the note is given, the drop fails and is logged with its reason.
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ s2: { authProfileOverride: 'anthropic:work', authProfileOverrideSource: 'user' } }));
    delete profiles['anthropic:work'];
    assert.deepEqual(service.view('main', 's2').notes, ["The pinned profile anthropic:work was removed; using the agent's order again."]);
    await service.idle();
    assert.match(
      warnings.at(-1) ?? '',
      /^the removed profile anthropic:work could not be unpinned from session s2 in .*: .* no space left on the disk \(ENOSPC\)\.$/,
    );
  });

  it('refuses a session id with control characters (INVALID_INPUT)', async () => {
    const { service } = setup();
    await assert.rejects(service.command('main', 'a\u0007b', '/model'), (e: unknown) => e instanceof OpenSoulError && e.kind === 'INVALID_INPUT');
    assert.throws(
      () => service.view('main', ''),
      (e: unknown) => e instanceof OpenSoulError && e.kind === 'INVALID_INPUT',
    );
  });

  it('never puts a whole secret in any reply', async () => {
    const { say, replies, warnings, service } = setup();
    for (const line of [
      '/model',
      '/model status',
      '/model opus@anthropic:work',
      '/model status',
      '/model opus@anthropic:scoped',
      '/model 2',
      '/model gpt@openai:main',
      '/model status',
      '/new',
      '/help',
    ]) {
      await say(line);
    }
    assert.ok(
      replies.some((r) => r.includes('use an Anthropic API key instead')),
      'the credential_scope remedy is shown',
    );
    assertNoSecrets(Object.values(SECRETS), { replies: replies.join('\n'), warnings: warnings.join('\n') });
    await service.idle();
  });
});
