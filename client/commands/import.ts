/** `opensoul import openclaw` (§7): copies OpenClaw's profiles, order and .env keys, never overwriting silently. */
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { processPathContext, resolveHome } from '../../ipc/paths.js';
import { command, flag, str } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';

/** `import openclaw`. */
export const importOpenClaw = command(async ({ env, opts }) => {
  const from = path.resolve(str(opts, 'from') ?? path.join(resolveHome(processPathContext()), '.openclaw'));
  const r = await callDaemon(methods.importOpenClaw, { from, dryRun: flag(opts, 'dryRun'), force: flag(opts, 'force') }, { timeoutMs: 120_000 });
  const conflicts = r.items.filter((i) => i.action === 'conflict');
  const skipped = r.items.filter((i) => i.action === 'skipped');
  if (env.json) printJson(r);
  else {
    const s = env.style;
    process.stdout.write(`${r.dryRun ? 'Would import' : 'Imported'} from ${tildePath(r.from)}:\n`);
    if (r.items.length === 0) process.stdout.write('  (nothing found)\n');
    const width = (k: 'agent' | 'kind' | 'id') => Math.max(...r.items.map((i) => i[k].length));
    for (const i of r.items) {
      const word =
        i.action === 'conflict' || i.action === 'skipped'
          ? s.red(i.action)
          : i.action === 'added' || i.action === 'replaced'
            ? s.green(i.action)
            : s.dim(i.action);
      process.stdout.write(
        `  ${i.agent.padEnd(width('agent'))}  ${i.kind.padEnd(width('kind'))}  ${i.id.padEnd(width('id'))}  ${word}${i.note ? s.dim(`  ${i.note}`) : ''}\n`,
      );
    }
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    if (conflicts.length > 0) {
      process.stderr.write(
        `${conflicts.length} item(s) differ from what OpenSoul already has and ${r.dryRun ? 'would not be replaced' : 'were not replaced'}; ` +
          're-run with --force to replace them.\n',
      );
    }
    if (skipped.length > 0)
      process.stderr.write(`${skipped.length} item(s) ${r.dryRun ? 'would not be imported' : 'were not imported'}: see the notes above.\n`);
    if (!r.complete && conflicts.length === 0 && skipped.length === 0) process.stderr.write('Some of the source could not be read: see the warnings above.\n');
  }
  // A dry run exits as the real run would: a script can check before it writes.
  return r.complete ? 0 : 1;
});
