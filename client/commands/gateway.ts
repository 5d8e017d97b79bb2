/** `opensoul gateway …`: run the daemon (from its own entry), and talk to the running one. */
import type { Command } from 'commander';
import { methods } from '../../ipc/protocol.js';
import { action } from '../cli-context.js';
import type { CliContext } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';
import { renderGatewayStatus } from '../render/gateway-status.js';

export function registerGateway(program: Command, ctx: CliContext): void {
  const gateway = program.command('gateway').description('run the gateway daemon, or manage the running one');

  gateway
    .command('run', { isDefault: true })
    .description('run the daemon in the foreground (logs to stderr and the log file; SIGTERM/SIGINT stop it, SIGHUP reloads)')
    .action(async () => {
      // The daemon lives in its own bundle: client commands never load it (SPEC §2).
      const entry = (await import(ctx.gatewayEntry)) as { runGateway: (o: { foreground: boolean }) => Promise<void> };
      await entry.runGateway({ foreground: true });
    });

  gateway
    .command('status')
    .description('whether the daemon answers, and what it has loaded')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env) => {
        const r = await callDaemon(methods.gatewayStatus, {});
        if (env.json) {
          printJson({
            service: null,
            daemon: { reachable: true, pid: r.pid, version: r.version, socket: r.socket, uptimeMs: r.uptimeMs, stateDir: r.stateDir, files: r.files, reloads: r.reloads, agents: r.agents, defaultAgent: r.defaultAgent, logFile: r.logFile },
          });
        } else process.stdout.write(renderGatewayStatus(r, env.style));
      }),
    );

  gateway
    .command('reload')
    .description('reload every file now')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env) => {
        const r = await callDaemon(methods.gatewayReload, {});
        if (env.json) {
          printJson(r);
          return;
        }
        process.stdout.write(r.changed.length ? `Reloaded: ${r.changed.map((p) => tildePath(p)).join(', ')}\n` : 'Reloaded: nothing had changed.\n');
        for (const f of r.files.filter((f) => !f.ok)) process.stdout.write(`${env.style.red('error')} ${tildePath(f.path)}: ${f.error ?? ''} (last good state kept)\n`);
      }),
    );
}
