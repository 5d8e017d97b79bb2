/**
 * A person's editor and the daemon writing auth-profiles.json at once (§3: "never silently
 * overwrite a person's edit"; §14: no lost update). The editor saves like vim or VS Code: read,
 * change a field, write a temp file, rename it over the store — no lock — and, like vim, notices
 * when the file changed since it read it and redoes that save. The daemon's writes are real
 * RPC upserts. Every editor save and every acknowledged daemon write must be in the final file;
 * a daemon write may only fail with a clear error. OPENSOUL_SOAK=1 runs ten rounds (each on a
 * fresh agent's store, so the file stays the size a person's store has).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, startDaemon, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

const ROUNDS = process.env.OPENSOUL_SOAK === '1' ? 10 : 1;
const EDITOR_SAVES = 300;
const DAEMON_WRITES = 200;
const LANES = 4;

type Store = { version: number; profiles: Record<string, { type: string; provider: string; key: string }> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the store as an editor opening it would; a missing file (a writer's instant) is read again. */
async function openInEditor(file: string): Promise<{ doc: Store; identity: string }> {
  for (;;) {
    try {
      const st = statSync(file, { bigint: true });
      const text = readFileSync(file, 'utf8');
      const again = statSync(file, { bigint: true });
      const identity = `${st.ino}:${st.mtimeNs}:${st.size}`;
      if (identity !== `${again.ino}:${again.mtimeNs}:${again.size}`) continue;
      return { doc: JSON.parse(text) as Store, identity };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await sleep(1);
    }
  }
}

describe('editor saves racing daemon writes (real daemon, real RPC)', function () {
  this.timeout(120_000 * ROUNDS);

  it(
    `${EDITOR_SAVES} editor saves (temp + rename, no lock) racing ${DAEMON_WRITES} ` + `daemon upserts: none lost${ROUNDS > 1 ? ` (${ROUNDS} rounds)` : ''}`,
    async () => {
      const d = await startDaemon();
      for (let round = 0; round < ROUNDS; round++) await race(d, round === 0 ? 'main' : `soak-${round}`);
      assertNoSecrets(['sk-proj-editor-1-', 'sk-proj-daemon-1-'], { log: d.log(), stderr: d.stderr() });
    },
  );
});

async function race(d: Daemon, agent: string): Promise<void> {
  const store = d.paths.authProfiles(agent);
  await d.call(methods.authUpsert, { agent, profileId: 'openai:seed', credential: { type: 'api_key', key: 'sk-proj-seed-000000000000000000000000' } });

  let redone = 0;
  const editor = (async () => {
    for (let i = 0; i < EDITOR_SAVES; i++) {
      for (;;) {
        const { doc, identity } = await openInEditor(store);
        doc.profiles[`openai:editor-${i}`] = { type: 'api_key', provider: 'openai', key: `sk-proj-editor-${i}-${'e'.repeat(24)}` };
        const tmp = path.join(path.dirname(store), `.auth-profiles.json.swp-${i}`);
        writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
        // vim's "file changed since reading it" check, just before it writes.
        let now = '';
        try {
          const st = statSync(store, { bigint: true });
          now = `${st.ino}:${st.mtimeNs}:${st.size}`;
        } catch {
          /* missing for an instant: changed */
        }
        if (now !== identity) {
          redone++;
          continue;
        }
        renameSync(tmp, store);
        break;
      }
      await sleep(Math.random() * 8);
    }
  })();

  const acked: string[] = [];
  const refused: string[] = [];
  const lane = async (laneNo: number) => {
    const c = await d.connect();
    try {
      for (let j = laneNo; j < DAEMON_WRITES; j += LANES) {
        const profileId = `openai:daemon-${j}`;
        try {
          await c.call(methods.authUpsert, { agent, profileId, credential: { type: 'api_key', key: `sk-proj-daemon-${j}-${'d'.repeat(24)}` } });
          acked.push(profileId);
        } catch (err) {
          // The only acceptable failure: a clear error, not INTERNAL.
          assert.ok(err instanceof OpenSoulError && err.kind === 'LOCKED' && /kept changing/.test(err.message), String(err));
          refused.push(profileId);
        }
        await sleep(Math.random() * 10);
      }
    } finally {
      c.close();
    }
  };
  await Promise.all([editor, ...Array.from({ length: LANES }, (_, i) => lane(i))]);

  const final = JSON.parse(readFileSync(store, 'utf8')) as Store;
  const lostEditor = Array.from({ length: EDITOR_SAVES }, (_, i) => `openai:editor-${i}`).filter((id) => !final.profiles[id]);
  const lostDaemon = acked.filter((id) => !final.profiles[id]);
  process.stdout.write(
    `      (${agent}: ${acked.length} daemon writes acknowledged, ${refused.length} refused with LOCKED; ` +
      `the editor redid ${redone} saves after a daemon write)\n`,
  );
  assert.deepEqual(lostEditor, [], 'every editor save is in the final file');
  assert.deepEqual(lostDaemon, [], 'every acknowledged daemon write is in the final file');
  assert.ok(final.profiles['openai:seed']);
  const leftovers = readdirSync(path.dirname(store)).filter((n) => n.includes('.opensoul-'));
  assert.deepEqual(leftovers, [], 'no temp or aside file left');
  // Its own profiles only: an agent also reads main's through (a main raced in an earlier round).
  await waitFor(
    async () =>
      (await d.call(methods.authList, { agent, provider: 'openai' })).profiles.filter((p) => !p.inheritedFrom).length === Object.keys(final.profiles).length,
    'the daemon to serve the final file',
  );
}
