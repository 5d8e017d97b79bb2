/** `opensoul gateway reload`: one call. */
import { methods } from '../../ipc/protocol.js';
import { command } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';

/** `gateway reload`. */
export const reload = command(async ({ env }) => {
  const r = await callDaemon(methods.gatewayReload, {});
  if (env.json) {
    printJson(r);
    return;
  }
  process.stdout.write(r.changed.length ? `Reloaded: ${r.changed.map((p) => tildePath(p)).join(', ')}\n` : 'Reloaded: nothing had changed.\n');
  for (const f of r.files.filter((f) => !f.ok))
    process.stdout.write(`${env.style.red('error')} ${tildePath(f.path)}: ${f.error ?? ''} (last good state kept)\n`);
});
