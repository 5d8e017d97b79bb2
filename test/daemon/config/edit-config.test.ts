/**
 * In-place edits of opensoul.json (daemon/config/edit-config.ts): only the named path changes,
 * the person's comments, trailing commas and indentation survive, and an edit that changes
 * nothing reports `changed: false` (so the daemon does not rewrite the file).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forgetProfile, recordProfileMetadata, setConfigAuthOrder, setSecretProvider } from '../../../daemon/config/edit-config.js';
import { parseJsonc } from '../../../ipc/jsonc.js';
import { plain } from '../../support/plain.js';

type Doc = {
  auth?: { profiles?: Record<string, unknown>; order?: Record<string, string[]> };
  secrets?: { providers?: Record<string, unknown> };
  gateway?: unknown;
};
/** The edited text parsed (it must parse: an edit never breaks the file). */
function parse(text: string | null): Doc {
  const r = parseJsonc(text ?? '');
  assert.ok(r.ok, 'the edited file parses');
  return plain(r.value) as Doc;
}

const COMMENTED = `{
    // my gateway
    "gateway": { "port": 1 }, /* keep */
    "auth": {
        "profiles": {
            "openai:a": { "provider": "openai", "mode": "api_key" }
        },
        "order": { "openai": ["openai:a", "openai:b"], "anthropic": ["anthropic:x"] },
    },
}
`;

describe('daemon/config/edit-config', () => {
  describe('recordProfileMetadata', () => {
    it('creates the skeleton when there is no file', () => {
      const r = recordProfileMetadata(null, 'openai:a', { provider: 'openai', mode: 'api_key' });
      assert.equal(r.changed, true);
      assert.deepEqual(parse(r.next).auth?.profiles, { 'openai:a': { provider: 'openai', mode: 'api_key' } });
    });

    it('is a no-op when the same metadata is already there', () => {
      assert.deepEqual(recordProfileMetadata(COMMENTED, 'openai:a', { provider: 'openai', mode: 'api_key' }), { next: null, changed: false });
    });

    it('adds a profile keeping comments, trailing commas and the 4-space indent', () => {
      const r = recordProfileMetadata(COMMENTED, 'openai:b', { provider: 'openai', mode: 'token' });
      assert.equal(r.changed, true);
      assert.ok(r.next?.includes('// my gateway') && r.next.includes('/* keep */'), 'comments survive');
      assert.match(r.next ?? '', /\n {12}"openai:b"|\n {12}"provider"/, '4-space indent is kept');
      const doc = parse(r.next);
      assert.deepEqual(doc.auth?.profiles?.['openai:b'], { provider: 'openai', mode: 'token' });
      assert.deepEqual(doc.auth?.profiles?.['openai:a'], { provider: 'openai', mode: 'api_key' });
      assert.deepEqual(doc.gateway, { port: 1 });
    });

    it('rewrites a profile whose mode changed', () => {
      const r = recordProfileMetadata(COMMENTED, 'openai:a', { provider: 'openai', mode: 'oauth' });
      assert.equal(r.changed, true);
      assert.deepEqual(parse(r.next).auth?.profiles?.['openai:a'], { provider: 'openai', mode: 'oauth' });
    });

    it('keeps tabs and CRLF line ends', () => {
      const text = '{\r\n\t"auth": {\r\n\t\t"profiles": {}\r\n\t}\r\n}\r\n';
      const r = recordProfileMetadata(text, 'openai:a', { provider: 'openai', mode: 'api_key' });
      assert.ok(r.next?.includes('\r\n'));
      assert.ok(!/[^\r]\n/.test(r.next ?? ''), 'no bare LF');
      assert.ok(!/\n {2}"/.test(r.next ?? ''), 'no space indent');
    });
  });

  describe('forgetProfile', () => {
    it('removes the profile and the id from every order list; the rest stays', () => {
      const r = forgetProfile(COMMENTED, 'openai:a');
      assert.equal(r.changed, true);
      const doc = parse(r.next);
      assert.equal(doc.auth?.profiles?.['openai:a'], undefined);
      assert.deepEqual(doc.auth?.order, { openai: ['openai:b'], anthropic: ['anthropic:x'] });
      assert.ok(r.next?.includes('// my gateway'));
    });

    it('removes an id that is only in an order list', () => {
      const r = forgetProfile(COMMENTED, 'openai:b');
      assert.deepEqual(parse(r.next).auth?.order?.openai, ['openai:a']);
    });

    it('removing the only entry of an object or list that had a trailing comma leaves a file that parses (was `{ , }`)', () => {
      const text = `{
  "auth": {
    "profiles": {
      "anthropic:a": { "provider": "anthropic", "mode": "token" }, // mine
    },
    "order": { "anthropic": ["anthropic:a",], "openai": ["openai:x", "openai:y",] },
  },
  "note": "a string with { , and [ , inside stays as it is",
}
`;
      const r = forgetProfile(text, 'anthropic:a');
      const doc = parse(r.next) as Doc & { note?: string };
      assert.deepEqual(doc.auth?.profiles, {});
      assert.deepEqual(doc.auth?.order, { anthropic: [], openai: ['openai:x', 'openai:y'] });
      assert.equal(doc.note, 'a string with { , and [ , inside stays as it is');
      assert.ok(r.next?.includes('// mine'), 'the comment stays');
    });

    it('is a no-op for an unknown id or no file', () => {
      assert.deepEqual(forgetProfile(COMMENTED, 'openai:zz'), { next: null, changed: false });
      assert.deepEqual(forgetProfile(null, 'openai:a'), { next: null, changed: false });
    });
  });

  describe('setConfigAuthOrder', () => {
    it('sets a list, and is a no-op when it is already that list', () => {
      assert.deepEqual(setConfigAuthOrder(COMMENTED, 'openai', ['openai:a', 'openai:b']), { next: null, changed: false });
      const r = setConfigAuthOrder(COMMENTED, 'openai', ['openai:b', 'openai:a']);
      assert.equal(r.changed, true);
      assert.deepEqual(parse(r.next).auth?.order, { openai: ['openai:b', 'openai:a'], anthropic: ['anthropic:x'] });
    });

    it('writes a file when there is none, even for an empty list', () => {
      const r = setConfigAuthOrder(null, 'openai', []);
      assert.equal(r.changed, true);
      assert.deepEqual(parse(r.next).auth?.order, { openai: [] });
    });

    it('any list of ids round-trips and leaves the other providers alone (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 6 }), (ids) => {
          const r = setConfigAuthOrder(COMMENTED, 'openai', ids);
          const doc = parse(r.next ?? COMMENTED);
          assert.deepEqual(doc.auth?.order?.openai, ids);
          assert.deepEqual(doc.auth?.order?.anthropic, ['anthropic:x']);
          assert.ok((r.next ?? COMMENTED).includes('/* keep */'));
        }),
      );
    });
  });

  describe('setSecretProvider', () => {
    it('sets secrets.providers.<name> and keeps the rest', () => {
      const r = setSecretProvider(COMMENTED, 'vault', { source: 'exec', command: '/usr/bin/vault' });
      assert.equal(r.changed, true);
      const doc = parse(r.next);
      assert.deepEqual(doc.secrets?.providers?.vault, { source: 'exec', command: '/usr/bin/vault' });
      assert.deepEqual(doc.auth?.order?.openai, ['openai:a', 'openai:b']);
    });
  });
});
