/**
 * daemon/stores/credentials: when a refused OAuth refresh still makes a profile expired.
 */
import assert from 'node:assert/strict';
import { isExpired, refreshRefused, refreshTokenMark } from '../../../daemon/stores/credentials.js';
import type { OAuthCredential, UsageState } from '../../../daemon/stores/credentials.js';

const NOW = 1_800_000_000_000;
const oauth = (refresh: string): OAuthCredential => ({ type: 'oauth', provider: 'anthropic', access: 'a', refresh, expires: NOW + 3_600_000 });
const usage = (stats: UsageState['usageStats'][string]): UsageState => ({ lastGood: {}, usageStats: { p: stats } });

describe('a refused OAuth refresh (credentials)', function () {
  it('holds while the profile has the refused refresh token, and lifts once it has another one', () => {
    const marked = { refreshFailedAt: NOW - 1000, refreshRefusedFor: refreshTokenMark('old-refresh') };
    assert.equal(refreshRefused(oauth('old-refresh'), marked), true);
    assert.equal(isExpired('p', oauth('old-refresh'), usage(marked), NOW), true);
    assert.equal(refreshRefused(oauth('new-refresh'), marked), false);
    assert.equal(isExpired('p', oauth('new-refresh'), usage(marked), NOW), false);
  });

  it("a mark that names no token (OpenClaw's, or an older gateway's) holds whatever the token", () => {
    assert.equal(refreshRefused(oauth('any'), { refreshFailedAt: NOW - 1000 }), true);
    assert.equal(refreshRefused(oauth('any'), {}), false);
    assert.equal(refreshRefused({ type: 'api_key', provider: 'openai', key: 'k' }, { refreshFailedAt: NOW }), false);
  });

  it('names a token by 16 hex digits that differ between tokens and never contain it', () => {
    const a = refreshTokenMark('sk-ant-ort01-aaaaaaaaaaaaaaaa');
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.notEqual(a, refreshTokenMark('sk-ant-ort01-aaaaaaaaaaaaaaab'));
    assert.equal(a, refreshTokenMark('sk-ant-ort01-aaaaaaaaaaaaaaaa'));
  });
});
