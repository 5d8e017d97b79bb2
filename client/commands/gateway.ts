/**
 * `opensoul gateway …`: run the daemon (from its own entry), talk to the running one, and manage
 * it as a service (SPEC §7, §10). The service commands live in `client/service/` and are loaded
 * only by the action that needs them, so `--help`, `--version` and every other command never
 * parse them, the unit generators or `plist` (esbuild puts them in chunks of their own).
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { methods } from '../../ipc/protocol.js';
import { action } from '../cli-context.js';
import type { CliContext } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';

const lineCount = (value: string): number => {
  const n = Number(value);
  // commander's own error type: it reports it like any other usage error, with the usage line.
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of lines (0 or more)');
  return n;
};

export function registerGateway(program: Command, ctx: CliContext): void {
  const gateway = program.command('gateway').description('run the gateway daemon, or manage the running one and its service');
  // `run` is the default, so commander hands it any word it does not know (`gateway stauts`
  // became "too many arguments for 'run'"): a word that is not `run` is an unknown command,
  // answered like in every other group, with a "Did you mean" when one is close.
  gateway.hook('preSubcommand', (group, sub) => {
    const first = group.args[0];
    if (sub.name() === 'run' && first !== undefined && first !== 'run' && !first.startsWith('-')) {
      (group as unknown as { unknownCommand(): never }).unknownCommand();
    }
  });

  gateway
    .command('run', { isDefault: true })
    .description('run the daemon in the foreground (logs to stderr and the log file; SIGTERM/SIGINT stop it, SIGHUP reloads)')
    .action(async () => {
      // The daemon lives in its own bundle: client commands never load it (SPEC §2).
      const entry = (await import(ctx.gatewayEntry)) as { runGateway: (o: { foreground: boolean }) => Promise<void> };
      await entry.runGateway({ foreground: true });
    });

  gateway
    .command('install')
    .description('install the daemon as a service (systemd user unit on Linux, LaunchAgent on macOS) and start it')
    .option('--force', 'replace a service file that differs (after a backup <file>.bak-<timestamp>)')
    .option('--dry-run', 'print the files that would be written and the commands that would run; change nothing')
    .option('--auth-monitor', 'also install the auth monitor timer (every 30 min: models status --check, notifies)')
    .option('--system', 'a systemd system unit with User= (for hosts that run everything as root)')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nOPENSOUL_SERVICE_MANAGER=systemd|launchd|none skips detecting the service manager.')
    .action(
      action(async (env, opts: { force?: boolean; dryRun?: boolean; authMonitor?: boolean; system?: boolean }) =>
        (await import('../service/install.js')).installCommand(env, opts, ctx),
      ),
    );

  gateway
    .command('uninstall')
    .description('stop and disable the service and remove its files')
    .option('--system', 'the systemd system unit (default: whichever is installed, the user unit first)')
    .option('--json', 'print one JSON document')
    .action(action(async (env, opts: { system?: boolean }) => (await import('../service/install.js')).uninstallCommand(env, opts, ctx)));

  gateway
    .command('start')
    .description('start the daemon: through the service when installed, else detached (no service manager: containers, WSL, Termux)')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('../service/lifecycle.js')).startCommand(env, ctx)));

  gateway
    .command('stop')
    .description('stop the daemon (through the service when installed, else over the socket)')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('../service/lifecycle.js')).stopCommand(env, ctx)));

  gateway
    .command('restart')
    .description('stop, then start the daemon')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('../service/lifecycle.js')).restartCommand(env, ctx)));

  gateway
    .command('status')
    .description('the service (installed, active) and whether the daemon answers, with what it has loaded; exit 3 when it does not answer')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('../service/status.js')).statusCommand(env, ctx)));

  gateway
    .command('logs')
    .description("print the end of the daemon's log (already redacted); -f follows it")
    .option('-n, --lines <n>', 'how many lines (default 50)', lineCount)
    .option('-f, --follow', 'keep printing new lines, across rotation, until interrupted')
    .option('--json', 'print one JSON document: {file, lines: [the log records, parsed]}; not with -f, whose lines are JSON already')
    .action(
      action(async (env, opts: { lines?: number; follow?: boolean }) =>
        (await import('../service/logs.js')).logsCommand(env, { lines: opts.lines ?? 50, follow: opts.follow === true }),
      ),
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
