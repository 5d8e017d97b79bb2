/**
 * `opensoul gateway install|uninstall|start|stop|restart|status|logs` (SPEC §7, §10): the
 * service code in client/service/, loaded by the command that needs it.
 */
import { command, flag, num } from '../cli-context.js';

/** `gateway install`. */
export const install = command(async ({ env, opts, ctx }) =>
  (await import('../service/install.js')).installCommand(
    env,
    { force: flag(opts, 'force'), dryRun: flag(opts, 'dryRun'), authMonitor: flag(opts, 'authMonitor'), system: flag(opts, 'system') },
    ctx,
  ),
);

/** `gateway uninstall`. */
export const uninstall = command(async ({ env, opts, ctx }) =>
  (await import('../service/install.js')).uninstallCommand(env, { system: flag(opts, 'system') }, ctx),
);

/** `gateway start`. */
export const start = command(async ({ env, ctx }) => (await import('../service/lifecycle.js')).startCommand(env, ctx));

/** `gateway stop`. */
export const stop = command(async ({ env, ctx }) => (await import('../service/lifecycle.js')).stopCommand(env, ctx));

/** `gateway restart`. */
export const restart = command(async ({ env, ctx }) => (await import('../service/lifecycle.js')).restartCommand(env, ctx));

/** `gateway status`. */
export const status = command(async ({ env, ctx }) => (await import('../service/status.js')).statusCommand(env, ctx));

/** `gateway logs [-n N] [-f]`. */
export const logs = command(async ({ env, opts }) =>
  (await import('../service/logs.js')).logsCommand(env, { lines: num(opts, 'lines') ?? 50, follow: flag(opts, 'follow') }),
);
