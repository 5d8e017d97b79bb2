/**
 * `opensoul doctor [--fix] [--json]` (§11): every check with a status, one line of why, and the
 * fix; `--fix` applies the safe ones (chmod, a stale socket) and never rewrites a credential
 * file. Works, with fewer checks, when the daemon is down. Exit 1 when any check is an error.
 */
import type { Command } from 'commander';
import type { DoctorCheck } from '../../ipc/protocol.js';
import { action } from '../cli-context.js';
import type { ActionEnv, CliContext } from '../cli-context.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';

/** Distro and kernel for the report (systeminformation's osInfo() only: its other calls spawn dozens of processes). */
async function systemCheck(): Promise<DoctorCheck | null> {
  try {
    const mod = await import('systeminformation');
    // A CommonJS package: bundled and imported dynamically, it arrives as the default export.
    const si = mod.default ?? mod;
    const os = await si.osInfo();
    return { id: 'system', status: 'ok', message: `${os.distro} ${os.release} (${os.platform}, kernel ${os.kernel}, ${os.arch})`, fix: null, fixed: false };
  } catch {
    return null;
  }
}

function render(env: ActionEnv, checks: DoctorCheck[]): string {
  const s = env.style;
  const mark = (c: DoctorCheck) => (c.status === 'ok' ? s.green('✓') : c.status === 'warn' ? s.yellow('!') : s.red('✗'));
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines = checks.map((c) => {
    const head = `${mark(c)} ${c.id.padEnd(width)}  ${tildePath(c.message)}${c.fixed ? s.green('  (fixed)') : ''}`;
    return c.fix && !c.fixed && c.status !== 'ok' ? `${head}\n  ${' '.repeat(width)}  ${s.dim(`fix: ${tildePath(c.fix)}`)}` : head;
  });
  const errors = checks.filter((c) => c.status === 'error').length;
  const warns = checks.filter((c) => c.status === 'warn').length;
  lines.push('', errors > 0 ? s.red(`${errors} error${errors === 1 ? '' : 's'}, ${warns} warning${warns === 1 ? '' : 's'}`) : warns > 0 ? s.yellow(`no errors, ${warns} warning${warns === 1 ? '' : 's'}`) : s.green('all good'));
  return `${lines.join('\n')}\n`;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the gateway, files, credentials, service and environment; --fix repairs the safe ones')
    .option('--fix', 'apply safe repairs: file modes (chmod), a stale socket; never rewrites a credential file')
    .option('--json', 'print one JSON document: {checks: [{id, status, message, fix, fixed}], ok}')
    .option('--repair', 'the same as --fix (OpenClaw)')
    // OpenClaw scripts pass these; doctor never prompts, so they change nothing.
    .option('--non-interactive', 'accepted for OpenClaw scripts: doctor never prompts')
    .option('--yes', 'accepted for OpenClaw scripts: doctor never prompts')
    .on('option:repair', function (this: Command) {
      this.setOptionValue('fix', true);
    })
    .action(
      action(async (env, o: { fix?: boolean }) => {
        const local = await import('../doctor/local-checks.js');
        const fix = o.fix === true;
        const checks: DoctorCheck[] = [local.checkNode()];
        const daemon = await local.daemonSide(fix);
        checks.push(...daemon.checks);
        checks.push(...(await local.checkService(ctx)));
        for (const c of [local.checkClaude(daemon.status), local.checkOpenClaw(daemon.status), await systemCheck()]) if (c) checks.push(c);
        const ok = !checks.some((c) => c.status === 'error');
        if (env.json) printJson({ checks, ok });
        else process.stdout.write(render(env, checks));
        return ok ? 0 : 1;
      }),
    );
}
