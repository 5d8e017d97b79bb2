/**
 * `opensoul doctor [--fix] [--json]` (§11): every check with a status, one line of why, and the
 * fix; `--fix` applies the safe ones (chmod, a stale socket) and never rewrites a credential
 * file. Works, with fewer checks, when the daemon is down. Exit 1 when any check is an error.
 */
import type { DoctorCheck } from '../../ipc/protocol.js';
import { command, flag } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';
import { osInfo } from '../doctor/os-info.js';

/** Distro and kernel for the report. */
function systemCheck(): DoctorCheck {
  const os = osInfo();
  return { id: 'system', status: 'ok', message: `${os.distro} ${os.release} (${os.platform}, kernel ${os.kernel}, ${os.arch})`, fix: null, fixed: false };
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
  lines.push(
    '',
    errors > 0
      ? s.red(`${errors} error${errors === 1 ? '' : 's'}, ${warns} warning${warns === 1 ? '' : 's'}`)
      : warns > 0
        ? s.yellow(`no errors, ${warns} warning${warns === 1 ? '' : 's'}`)
        : s.green('all good'),
  );
  return `${lines.join('\n')}\n`;
}

/** `doctor` (`--repair` is `--fix`: the table maps it). */
export const doctor = command(async ({ env, opts, ctx }) => {
  const local = await import('../doctor/local-checks.js');
  const fix = flag(opts, 'fix');
  // The daemon's side and the service manager's answers are independent: asked at once, doctor
  // takes the longer of the two, not their sum (each spawn of systemctl/loginctl is ~10 ms).
  const [daemon, service] = await Promise.all([local.daemonSide(fix), local.checkService(ctx)]);
  const checks: DoctorCheck[] = [local.checkNode(), ...daemon.checks, ...service];
  for (const c of [local.checkClaude(daemon.status), local.checkOpenClaw(daemon.status), systemCheck()]) if (c) checks.push(c);
  const ok = !checks.some((c) => c.status === 'error');
  if (env.json) printJson({ checks, ok });
  else process.stdout.write(render(env, checks));
  return ok ? 0 : 1;
});
