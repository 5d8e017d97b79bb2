/** `opensoul import openclaw` (§7): copies OpenClaw's profiles, order and .env keys, never overwriting silently. */
import path from 'node:path';
import type { Command } from 'commander';
import { methods } from '../../ipc/protocol.js';
import { processPathContext, resolveHome } from '../../ipc/paths.js';
import { action } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';

export function registerImport(program: Command): void {
  const imp = program.command('import').description('import credentials from another tool');
  imp
    .command('openclaw')
    .description("copy OpenClaw's agents' profiles, order and .env provider keys (every OpenClaw layout, SQLite included)")
    .option('--from <dir>', "OpenClaw's state dir (default ~/.openclaw)")
    .option('--dry-run', 'show what would be imported; write nothing')
    .option('--force', 'replace existing profiles and keys that differ (otherwise they are reported as conflicts)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: { from?: string; dryRun?: boolean; force?: boolean }) => {
        const from = path.resolve(o.from ?? path.join(resolveHome(processPathContext()), '.openclaw'));
        const r = await callDaemon(methods.importOpenClaw, { from, dryRun: o.dryRun === true, force: o.force === true }, { timeoutMs: 120_000 });
        const conflicts = r.items.filter((i) => i.action === 'conflict');
        if (env.json) printJson(r);
        else {
          const s = env.style;
          process.stdout.write(`${r.dryRun ? 'Would import' : 'Imported'} from ${tildePath(r.from)}:\n`);
          if (r.items.length === 0) process.stdout.write('  (nothing found)\n');
          for (const i of r.items) {
            const word = i.action === 'conflict' ? s.red(i.action) : i.action === 'added' || i.action === 'replaced' ? s.green(i.action) : s.dim(i.action);
            process.stdout.write(`  ${i.agent.padEnd(10)} ${i.kind.padEnd(8)} ${i.id.padEnd(32)} ${word}${i.note ? s.dim(`  ${i.note}`) : ''}\n`);
          }
          for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
          if (conflicts.length > 0) process.stderr.write(`${conflicts.length} item(s) differ from what OpenSoul already has and were not replaced; re-run with --force to replace them.\n`);
        }
        return conflicts.length > 0 && !r.dryRun ? 1 : 0;
      }),
    );
}
