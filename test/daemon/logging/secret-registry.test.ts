// Tests of daemon/logging/secret-registry: how values stop being held and are retired after the
// grace period, and that its scan finds what one regular expression of every form would (the
// rest of redaction is tested in logging.test.ts). The clock is the test's own.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { REDACTED, RETIRED_GRACE_MS, SecretRegistry, worthRegistering } from '../../../daemon/logging/secret-registry.js';

// Fake secrets that match none of the built-in patterns: only the registry can catch them.
const OLD = 'tok_FAKE_old_9f8e7d6c5b4a3928';
const NEW = 'tok_FAKE_new_1a2b3c4d5e6f7081';
const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

function clocked(): { registry: SecretRegistry; advance: (ms: number) => void } {
  let now = 1_800_000_000_000;
  return { registry: new SecretRegistry({ now: () => now }), advance: (ms) => (now += ms) };
}

const scrubbed = (registry: SecretRegistry, value: string): boolean => registry.redact(`x ${value} y`) === `x ${REDACTED} y`;

describe('daemon/logging/secret-registry retirement', () => {
  it('keeps a value the state no longer holds scrubbed through the grace period, then drops it', () => {
    const { registry, advance } = clocked();
    registry.retain([OLD]);
    advance(10 * RETIRED_GRACE_MS);
    assert.ok(scrubbed(registry, OLD), 'held: never expires');
    registry.retain([NEW]);
    advance(RETIRED_GRACE_MS - 1);
    assert.ok(scrubbed(registry, OLD), 'within the grace');
    assert.equal(registry.size, 2);
    advance(1);
    assert.equal(registry.redact(`x ${OLD} y`), `x ${OLD} y`, 'dropped once the grace is over');
    assert.ok(!registry.has(OLD));
    assert.ok(scrubbed(registry, NEW), 'the matcher is rebuilt over what remains');
    assert.equal(registry.size, 1);
  });

  it('holds a retired value again when the state holds it again, and register() restarts its grace', () => {
    const { registry, advance } = clocked();
    registry.retain([OLD]);
    registry.retain([]);
    advance(RETIRED_GRACE_MS - 1);
    registry.retain([OLD]);
    advance(10 * RETIRED_GRACE_MS);
    assert.ok(scrubbed(registry, OLD), 'held again');
    registry.retain([]);
    advance(RETIRED_GRACE_MS - 1);
    registry.register(OLD);
    advance(RETIRED_GRACE_MS - 1);
    assert.ok(scrubbed(registry, OLD), 'seen again: the grace counts from then');
    advance(1);
    assert.ok(!registry.has(OLD));
  });

  it('ages out one-shot values (a login code, a resolved ref) by the same grace; a held value stays held when registered', () => {
    const { registry, advance } = clocked();
    registry.retain([NEW]);
    registry.registerAll([OLD, NEW]);
    advance(RETIRED_GRACE_MS);
    assert.ok(!registry.has(OLD));
    assert.ok(scrubbed(registry, NEW), 'register() does not start a held value ageing');
  });

  it('never retires a pinned value (the connection token), whatever the state says', () => {
    const { registry, advance } = clocked();
    registry.pin(TOKEN);
    registry.retain([TOKEN, OLD]);
    registry.retain([]);
    registry.register(TOKEN);
    advance(100 * RETIRED_GRACE_MS);
    assert.ok(scrubbed(registry, TOKEN));
    assert.equal(registry.size, 1);
  });

  it('stays bounded over many replacements: about a grace period of them, never all', () => {
    const { registry, advance } = clocked();
    registry.pin(TOKEN);
    const hour = 3_600_000;
    let current = '';
    for (let n = 0; n < 1_000; n++) {
      current = `tok_FAKE_access_${String(n).padStart(6, '0')}`;
      registry.register(current); // as the refresher does before the write
      registry.retain([current]); // as the reload after the write does
      advance(hour);
    }
    // The token, the current value, and those replaced less than a grace ago.
    assert.ok(registry.size <= 2 + RETIRED_GRACE_MS / hour, `size ${registry.size}`);
    assert.ok(scrubbed(registry, current));
    assert.ok(scrubbed(registry, TOKEN));
    assert.ok(!registry.has('tok_FAKE_access_000000'));
  });

  it('shows only its size through inspect and JSON, retired values included', () => {
    const { registry } = clocked();
    registry.retain([OLD]);
    registry.retain([NEW]);
    assert.equal(inspect(registry), 'SecretRegistry { size: 2 }');
    assert.equal(JSON.stringify({ registry }), '{"registry":{"size":2}}');
  });

  it('property: after any sequence of retains, registers and clock steps, exactly the values seen within the grace are scrubbed', () => {
    // Distinct values of one length: none contains another, so each is scrubbed or kept whole.
    const value = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 16, maxLength: 16 }).map((v) => `v${v}`);
    const step = fc.oneof(
      fc.record({ kind: fc.constant('retain' as const), picks: fc.array(fc.nat(), { maxLength: 6 }) }),
      fc.record({ kind: fc.constant('register' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: RETIRED_GRACE_MS }) }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(value, { minLength: 1, maxLength: 12 }), fc.array(step, { maxLength: 30 }), (values, steps) => {
        const { registry, advance } = clocked();
        let now = 0;
        // The model: when each value was last seen (Infinity while held).
        const seen = new Map<string, number>();
        let held = new Set<string>();
        for (const s of steps) {
          if (s.kind === 'advance') {
            advance(s.ms);
            now += s.ms;
          } else if (s.kind === 'register') {
            const v = values[s.pick % values.length] as string;
            registry.register(v);
            if (!held.has(v)) seen.set(v, now);
          } else {
            const next = new Set(s.picks.map((p) => values[p % values.length] as string));
            registry.retain(next);
            for (const v of held) if (!next.has(v)) seen.set(v, now);
            for (const v of next) seen.set(v, Number.POSITIVE_INFINITY);
            held = next;
          }
          // Expired values leave the model as they leave the registry (one seen again later is new).
          for (const [v, at] of seen) if (now - at >= RETIRED_GRACE_MS) seen.delete(v);
          const out = registry.redact(values.join(' '));
          const expected = values.map((v) => (seen.has(v) ? REDACTED : v)).join(' ');
          if (out !== expected || registry.size !== seen.size) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The registry's matcher before the scan: one regular expression of every form of every value,
 * longest first, and the same rescan while a marker helps spell a form again (at most 4 more).
 */
function regexRedact(values: readonly string[], text: string): string {
  const json = (v: string) => JSON.stringify(v).slice(1, -1);
  const forms = new Set<string>();
  for (const v of values) {
    if (!worthRegistering(v) || REDACTED.includes(v)) continue;
    for (const f of [v, json(v), json(json(v))]) forms.add(f);
    try {
      forms.add(encodeURIComponent(v));
    } catch {
      // a lone surrogate: no URL-encoded form
    }
  }
  if (forms.size === 0) return text;
  const escape = (f: string) => f.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  const re = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join('|'),
    'g',
  );
  let out = text.replace(re, REDACTED);
  if (out === text || ![...forms].some((f) => f.includes('[') || f.includes(']'))) return out;
  for (let pass = 0; out.search(re) !== -1; pass++) {
    if (pass === 4) return REDACTED;
    out = out.replace(re, REDACTED);
  }
  return out;
}

describe('daemon/logging/secret-registry scan', () => {
  it('property: replaces exactly what one regular expression of every form, longest first, replaces', () => {
    // Few characters, so values share prefixes, contain one another and overlap in the text;
    // brackets and the marker's letters so a marker can spell a value again; quotes, a backslash
    // and % for the JSON and URL forms; a lone surrogate, which has no URL form.
    const unit = fc.constantFrom(...'abAB01[]ED"\\% '.split(''), '\ud800');
    const value = fc.string({ unit, minLength: 8, maxLength: 40 });
    const piece = (values: string[]) =>
      fc.oneof(
        fc.string({ unit, maxLength: 6 }),
        fc.record({ pick: fc.nat(), from: fc.nat(), to: fc.nat() }).map(({ pick, from, to }) => {
          const v = values[pick % values.length] as string;
          const a = from % (v.length + 1);
          return to % 3 === 0 ? v.slice(a, a + 1 + (to % v.length)) : v;
        }),
      );
    fc.assert(
      fc.property(
        fc
          .uniqueArray(value, { minLength: 1, maxLength: 8 })
          .chain((values) => fc.tuple(fc.constant(values), fc.nat({ max: values.length }), fc.array(piece(values), { maxLength: 12 }))),
        ([values, early, pieces]) => {
          const text = pieces.join('');
          const registry = new SecretRegistry();
          // Some values before the first redact() builds the index, the rest added to it in place.
          registry.registerAll(values.slice(0, early));
          registry.redact('warm');
          registry.registerAll(values.slice(early));
          return registry.redact(text) === regexRedact(values, text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('finds a key among a thousand of the same provider (one shared prefix) and leaves the others', () => {
    const registry = new SecretRegistry();
    const keys = Array.from({ length: 1000 }, (_, i) => `tok_FAKE_same_prefix_${String(i).padStart(4, '0')}_${'x'.repeat(i % 7)}tail`);
    registry.registerAll(keys);
    assert.equal(registry.redact(`a ${keys[500]} b tok_FAKE_same_prefix_9999_tail c`), `a ${REDACTED} b tok_FAKE_same_prefix_9999_tail c`);
  });
});
