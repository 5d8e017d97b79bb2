/** daemon/state/gateway-state: what the log redactor is told about after a load. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayState } from '../../daemon/state/gateway-state.js';
import { statePaths } from '../../ipc/paths.js';
import { tempDir } from '../support/harness.js';

describe('GatewayState secret registration', () => {
  it('registers every credential-like or long .env value, profile secrets, and credentials in base URLs', async () => {
    const dir = path.join(tempDir(), 'state');
    const paths = statePaths(dir);
    mkdirSync(paths.agentDir('main'), { recursive: true });
    writeFileSync(
      paths.dotenv,
      ['MY_DB_PASSWORD=hunter2hunter2-not-a-pattern', 'DATABASE_URL=postgres://u:zebra9zebra9-dburl@h/db', 'MY_DB_PWD=pwd-value-1', 'SLACK_WEBHOOK=hooky-value', 'NODE_ENV=production', 'LONG_ONE=0123456789abcdefXYZ'].join('\n'),
    );
    writeFileSync(paths.config, JSON.stringify({ models: { providers: { openai: { baseUrl: 'https://u:proxy-pass-1@p.example/v1' } } } }));
    writeFileSync(paths.authProfiles('main'), JSON.stringify({ version: 1, profiles: { 'openai:a': { type: 'api_key', key: 'sk-proj-profile-key-123' } } }));
    const registered = new Set<string>();
    const state = new GatewayState({ paths, processEnv: {}, registerSecrets: (values) => values.forEach((v) => registered.add(v)) });
    await state.reload('start');
    for (const v of ['hunter2hunter2-not-a-pattern', 'postgres://u:zebra9zebra9-dburl@h/db', 'pwd-value-1', 'hooky-value', '0123456789abcdefXYZ', 'proxy-pass-1', 'sk-proj-profile-key-123']) {
      assert.ok(registered.has(v), `registered: ${v}`);
    }
    assert.ok(!registered.has('production'), 'a short value under a plain name is left alone');
  });
});
