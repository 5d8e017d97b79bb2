/** ipc/duration: the one duration format of every human view. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UNTIL_REPLACED } from '../../daemon/resolver/cooldowns.js';
import { UNTIL_REPLACED_MS, formatDuration, formatDurationFloor, formatWait, formatWaitChangesAt } from '../../ipc/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatDuration (one compact format everywhere)', () => {
  it('gives the two largest adjacent units', () => {
    assert.equal(formatDuration(364 * D + 5 * H), '11mo 29d');
    assert.equal(formatDuration(12 * H), '12h');
    assert.equal(formatDuration(5 * M + 3 * S), '5m 3s');
    assert.equal(formatDuration(45 * S), '45s');
    assert.equal(formatDuration(365 * D), '1y');
    assert.equal(formatDuration(400 * D), '1y 1mo');
    assert.equal(formatDuration(3 * D + 4 * H + 59 * M), '3d 4h');
  });

  it('a year-long token never reads "12mo": a month is a twelfth of the year', () => {
    assert.equal(formatDuration(365 * D - 10), '11mo 30d');
    assert.equal(formatDuration(31 * D), '1mo');
  });

  it('never skips a unit: 1h and 30s is "1h", not "1h 30s"', () => {
    assert.equal(formatDuration(H + 30 * S), '1h');
  });

  it('drops the sign (the caller says "ago"), and under a second is 0s', () => {
    assert.equal(formatDuration(-2 * H), '2h');
    assert.equal(formatDuration(400), '0s');
    assert.equal(formatDuration(0), '0s');
  });

  it('never uses the long words of the old views', () => {
    for (const ms of [1, 59 * S, 90 * M, 36 * H, 45 * D, 800 * D]) assert.match(formatDuration(ms), /^\d+(y|mo|d|h|m|s)( \d+(mo|d|h|m|s))?$/);
  });
});

describe('formatWait', () => {
  it('says "until replaced" for a credential_scope disable, never a date 273915 years away', () => {
    assert.equal(formatWait(UNTIL_REPLACED_MS, 1_800_000_000_000), 'until replaced');
    assert.equal(formatWait(1_800_000_000_000 + 5 * M, 1_800_000_000_000), '5m');
  });

  it("uses the daemon's own sentinel for credential_scope", () => {
    assert.equal(UNTIL_REPLACED_MS, UNTIL_REPLACED);
  });
});

describe('formatDurationFloor and formatWaitChangesAt (how long a shown duration holds)', () => {
  const duration = fc.oneof(fc.integer({ min: 0, max: 2 * 365 * D }), fc.integer({ min: 0, max: 2 * H }), fc.integer({ min: 0, max: 2 * M }));

  it('the floor reads as the duration does, and one ms less does not', () => {
    fc.assert(
      fc.property(duration, (ms) => {
        const floor = formatDurationFloor(ms);
        assert.ok(floor <= ms);
        assert.equal(formatDuration(floor), formatDuration(ms));
        if (floor > 0) assert.notEqual(formatDuration(floor - 1), formatDuration(ms));
      }),
      { numRuns: 2000 },
    );
    assert.equal(formatDurationFloor(5 * M + 3 * S + 700), 5 * M + 3 * S);
    assert.equal(formatDurationFloor(H + 30 * S), H);
    assert.equal(formatDurationFloor(400), 0);
  });

  it('a wait reads the same from now up to the instant it changes, and differently then', () => {
    const now = 1_800_000_000_000;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 * 365 * D }), fc.double({ min: 0, max: 1, noNaN: true }), (wait, f) => {
        const until = now + wait;
        const changes = formatWaitChangesAt(until, now);
        assert.ok(changes > now);
        const inside = now + Math.floor((changes - 1 - now) * f);
        assert.equal(formatWait(until, inside), formatWait(until, now));
        if (changes <= until - 1000) assert.notEqual(formatWait(until, changes), formatWait(until, now));
      }),
      { numRuns: 2000 },
    );
    assert.equal(formatWaitChangesAt(UNTIL_REPLACED_MS, now), Number.POSITIVE_INFINITY);
  });
});
