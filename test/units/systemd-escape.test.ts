import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UnitValueError, escapeExecArgument, escapeExecutable, escapeSpecifiers, formatCommandLine, formatEnvironmentAssignment } from '../../units/index.js';
import { decodeEnvironment, decodeExecStart, resolveDollars, resolveSpecifiers, splitWords } from './systemd-words.js';

// Any string without control characters: the input space the escapers promise to represent.
// eslint-disable-next-line no-control-regex
const printable = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
// Characters that matter to systemd, mixed in often so the property meets them.
const tricky = fc
  .array(fc.constantFrom('%', '$', '{', '}', '"', "'", '\\', ' ', ';', 'a', '/', '%%', '$$', '${HOME}', '%n', 'é', '\u00a0'), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));
const anyValue = fc.oneof(printable, tricky);

describe('units/systemd-escape', () => {
  it('an argument round-trips through systemd unquoting, specifiers and $ expansion', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const words = splitWords(escapeExecArgument('arg', value));
        assert.equal(words.length, 1, 'one argument stays one word');
        assert.equal(resolveDollars(resolveSpecifiers(words[0]!)), value);
      }),
      { numRuns: 500 },
    );
  });

  it('an executable round-trips through unquoting and specifiers, with $ left single', () => {
    fc.assert(
      fc.property(
        anyValue.filter((s) => !/["'\\]/.test(s)),
        (name) => {
          const executable = `/opt/${name}`;
          const words = splitWords(escapeExecutable('nodePath', executable));
          assert.equal(words.length, 1);
          assert.equal(resolveSpecifiers(words[0]!), executable);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an Environment= assignment round-trips as one word, with no $ expansion', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        assert.deepEqual(decodeEnvironment(formatEnvironmentAssignment('OPENSOUL_STATE_DIR', value)), [['OPENSOUL_STATE_DIR', value]]);
      }),
      { numRuns: 500 },
    );
  });

  it('a command line decodes to exactly its argv', () => {
    fc.assert(
      fc.property(
        anyValue.filter((s) => !/["'\\]/.test(s)),
        fc.array(anyValue, { maxLength: 4 }),
        (name, args) => {
          const executable = `/usr/lib/${name}/node`;
          assert.deepEqual(decodeExecStart(formatCommandLine(executable, args)), [executable, ...args]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes the forms the man pages give', () => {
    assert.equal(escapeSpecifiers('100%'), '100%%');
    assert.equal(escapeExecArgument('a', '/opt/a b/x'), '"/opt/a b/x"');
    assert.equal(escapeExecArgument('a', '/opt/$HOME'), '/opt/$$HOME');
    assert.equal(escapeExecArgument('a', 'say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
    assert.equal(escapeExecArgument('a', ';'), '";"', 'a lone ; would separate commands');
    assert.equal(escapeExecArgument('a', ''), '""', 'an empty argument is kept, not dropped');
    assert.equal(escapeExecutable('n', '/opt/$x/%n node'), '"/opt/$x/%%n node"');
    assert.equal(formatEnvironmentAssignment('A', '/x y/$z%'), '"A=/x y/$z%%"');
    assert.equal(formatEnvironmentAssignment('A', '/plain'), 'A=/plain');
  });

  it('refuses control characters, naming the field', () => {
    for (const f of [
      () => escapeExecArgument('entryPath', 'a\nb'),
      () => escapeExecutable('entryPath', '/a\0b'),
      () => formatEnvironmentAssignment('entryPath', 'a\tb'),
    ]) {
      assert.throws(f, (err: unknown) => err instanceof UnitValueError && err.field === 'entryPath' && /^entryPath contains /.test(err.message));
    }
  });

  it('refuses an executable that is not absolute (a leading - @ : + ! would be a prefix)', () => {
    for (const exe of ['-/usr/bin/node', '@/usr/bin/node', 'node']) {
      assert.throws(() => escapeExecutable('nodePath', exe), /^UnitValueError: nodePath must be an absolute path/);
    }
  });

  it('refuses an invalid environment variable name', () => {
    assert.throws(() => formatEnvironmentAssignment('1X', 'v'), /not a valid environment variable name/);
    assert.throws(() => formatEnvironmentAssignment('A B', 'v'), /not a valid environment variable name/);
  });
});
