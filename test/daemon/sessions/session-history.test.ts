/** daemon/sessions/session-history: the in-memory conversation, bounded per session and across sessions. */
import assert from 'node:assert/strict';
import { HISTORY_LIMITS, SessionHistory } from '../../../daemon/sessions/session-history.js';
import type { ChatMessage } from '../../../daemon/sessions/session-history.js';

const turn = (i: number, size = 10): ChatMessage[] => [
  { role: 'user', content: `q${i}`.padEnd(size, '.') },
  { role: 'assistant', content: `a${i}`.padEnd(size, '.') },
];

describe('session history', () => {
  it('keeps the last 40 messages, starting with a user message', () => {
    const h = new SessionHistory();
    for (let i = 0; i < 30; i++) h.append('main', 's', turn(i));
    const kept = h.get('main', 's');
    assert.equal(kept.length, HISTORY_LIMITS.messagesPerSession);
    assert.equal(kept[0]?.content.startsWith('q10'), true);
    assert.equal(kept.at(-1)?.content.startsWith('a29'), true);
  });

  it('keeps at most 512 KiB per session, and never starts with the assistant', () => {
    const h = new SessionHistory();
    for (let i = 0; i < 5; i++) h.append('main', 's', turn(i, 100 * 1024));
    const kept = h.get('main', 's');
    const bytes = kept.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    assert.ok(bytes <= 512 * 1024, `${bytes}`);
    assert.equal(kept[0]?.role, 'user');
    assert.equal(kept.at(-1)?.content.startsWith('a4'), true);
  });

  it('a single message over the limit leaves the history empty', () => {
    const h = new SessionHistory();
    h.append('main', 's', turn(0));
    h.append('main', 's', [{ role: 'user', content: 'x'.repeat(600 * 1024) }]);
    assert.deepEqual(h.get('main', 's'), []);
    assert.deepEqual(h.size(), { sessions: 0, bytes: 0 });
  });

  it('sessions and agents are separate; clear forgets one', () => {
    const h = new SessionHistory();
    h.append('main', 's', turn(1));
    h.append('work', 's', turn(2));
    h.append('main', 't', turn(3));
    assert.equal(h.clear('main', 's'), true);
    assert.equal(h.clear('main', 's'), false);
    assert.deepEqual(h.get('main', 's'), []);
    assert.equal(h.get('work', 's').length, 2);
    assert.equal(h.get('main', 't').length, 2);
  });

  it('forgets the least recently used sessions past the session and byte bounds', () => {
    const h = new SessionHistory({ ...HISTORY_LIMITS, sessions: 3, totalBytes: 1000 });
    for (const s of ['a', 'b', 'c']) h.append('main', s, turn(0));
    h.append('main', 'a', turn(1)); // a is now the most recent
    h.append('main', 'd', turn(0));
    assert.deepEqual(h.get('main', 'b'), []);
    assert.equal(h.get('main', 'a').length, 4);
    h.append('main', 'e', turn(0, 400));
    assert.ok(h.size().bytes <= 1000);
    assert.equal(h.get('main', 'e').length, 2);
  });
});
