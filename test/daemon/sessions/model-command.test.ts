/** daemon/sessions/model-command: the chat-line parser of §8.3, and the `@` split (unit + property). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseChatLine, splitProfileSuffix } from '../../../daemon/sessions/model-command.js';

describe('chat line parsing', () => {
  it('reads the /model family', () => {
    assert.deepEqual(parseChatLine('/model'), { kind: 'model-list' });
    assert.deepEqual(parseChatLine('/model list'), { kind: 'model-list' });
    assert.deepEqual(parseChatLine('/model status'), { kind: 'model-status' });
    assert.deepEqual(parseChatLine('/model 3'), { kind: 'model-pick', index: 3, profile: null });
    assert.deepEqual(parseChatLine('/model 2@anthropic:work'), { kind: 'model-pick', index: 2, profile: 'anthropic:work' });
    assert.deepEqual(parseChatLine('/model opus'), { kind: 'model-set', ref: 'opus', profile: null });
    assert.deepEqual(parseChatLine('/model anthropic/claude-opus-4-5'), { kind: 'model-set', ref: 'anthropic/claude-opus-4-5', profile: null });
    assert.deepEqual(parseChatLine('/model opus@anthropic:work'), { kind: 'model-set', ref: 'opus', profile: 'anthropic:work' });
    assert.deepEqual(parseChatLine('/model openrouter/meta/llama@x@y'), { kind: 'model-set', ref: 'openrouter/meta/llama', profile: 'x@y' });
  });

  it('is whitespace tolerant and case-insensitive in the command word', () => {
    assert.deepEqual(parseChatLine('   /model   status  '), { kind: 'model-status' });
    assert.deepEqual(parseChatLine('/MODEL LIST'), { kind: 'model-list' });
    assert.deepEqual(parseChatLine('/model\topus @ anthropic:work\n'), { kind: 'model-set', ref: 'opus', profile: 'anthropic:work' });
    assert.deepEqual(parseChatLine('/Model  opus'), { kind: 'model-set', ref: 'opus', profile: null });
    assert.deepEqual(parseChatLine('/model: opus'), { kind: 'model-set', ref: 'opus', profile: null });
    assert.deepEqual(parseChatLine('/model:status'), { kind: 'model-status' });
  });

  it('knows /new and /help, answers other /words as unknown commands, and leaves other lines to the model', () => {
    assert.deepEqual(parseChatLine('/new'), { kind: 'new' });
    assert.deepEqual(parseChatLine('/help'), { kind: 'help' });
    assert.deepEqual(parseChatLine('/modle opus'), { kind: 'unknown-command', name: 'modle' });
    assert.deepEqual(parseChatLine('hello /model'), { kind: 'not-command' });
    assert.deepEqual(parseChatLine('/etc/passwd is what?'), { kind: 'not-command' });
    assert.deepEqual(parseChatLine(''), { kind: 'not-command' });
    assert.deepEqual(parseChatLine('/'), { kind: 'not-command' });
    assert.deepEqual(parseChatLine('/help!'), { kind: 'not-command' });
  });

  it('refuses /model lines that mean nothing, with a reply', () => {
    for (const line of [
      '/model a b',
      '/model @anthropic:work',
      '/model@anthropic:work',
      '/model opus@',
      '/model status@anthropic:work',
      '/model list@x',
      '/model 0',
    ]) {
      const r = parseChatLine(line);
      assert.equal(r.kind, 'model-invalid', line);
      assert.ok(r.kind === 'model-invalid' && r.reply.length > 0);
    }
  });
});

describe('the @ split (first @ after the last /)', () => {
  it('splits aliases and refs as §8.3 says', () => {
    assert.deepEqual(splitProfileSuffix('opus@anthropic:work'), { ref: 'opus', profile: 'anthropic:work' });
    assert.deepEqual(splitProfileSuffix('openrouter/meta/llama@x@y'), { ref: 'openrouter/meta/llama', profile: 'x@y' });
    assert.deepEqual(splitProfileSuffix('vendor/a@b/model'), { ref: 'vendor/a@b/model', profile: null });
    assert.deepEqual(splitProfileSuffix('anthropic/claude'), { ref: 'anthropic/claude', profile: null });
  });

  const segment = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !s.includes('@'));
  const refArb = fc
    .tuple(
      fc.array(
        fc.string({ maxLength: 12 }).filter((s) => !s.includes('/')),
        { maxLength: 3 },
      ),
      segment,
    )
    .map(([dirs, last]) => [...dirs, last].join('/'));
  const profileArb = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('/'));

  it('ref@profile splits back into ref and profile whenever the last segment of ref has no @ (property)', () => {
    fc.assert(
      fc.property(refArb, profileArb, (ref, profile) => {
        assert.deepEqual(splitProfileSuffix(`${ref}@${profile}`), { ref, profile });
      }),
      { numRuns: 500 },
    );
  });

  it('text with no @ after its last / is all ref; any split rebuilds the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const { ref, profile } = splitProfileSuffix(text);
        assert.equal(profile === null ? ref : `${ref}@${profile}`, text);
        const tail = text.slice(text.lastIndexOf('/') + 1);
        assert.equal(profile === null, !tail.includes('@'));
        if (profile !== null) assert.ok(!ref.slice(ref.lastIndexOf('/') + 1).includes('@'));
      }),
      { numRuns: 500 },
    );
  });

  it('parses `/model ref@profile` to the same split, with surrounding whitespace (property)', () => {
    fc.assert(
      fc.property(
        refArb.filter((r) => !/\s/.test(r) && !/^\d+$/.test(r) && !['list', 'status'].includes(r.toLowerCase())),
        profileArb.filter((p) => !/\s/.test(p)),
        fc.constantFrom('', ' ', '  ', '\t'),
        (ref, profile, pad) => {
          assert.deepEqual(parseChatLine(`${pad}/model ${ref}${pad}@${pad}${profile}${pad}`), { kind: 'model-set', ref, profile });
        },
      ),
      { numRuns: 300 },
    );
  });
});
