/**
 * The daemon's own entry (SPEC §2): `opensoul gateway` loads this bundle only for that command,
 * so client commands never pay for (or can reach) daemon code. `node dist/gateway.mjs` runs it
 * directly too.
 */
import { pathToFileURL } from 'node:url';
import { EXIT } from '../ipc/errors.js';
import { Gateway } from './gateway.js';
import { AlreadyRunningError } from './instance.js';
import { CannotStartError } from './state-dir.js';

export async function runGateway(opts: { foreground?: boolean } = {}): Promise<void> {
  let gateway: Gateway | null = null;
  // Uncaught errors go through the redactor too (a stack can quote a secret), then stop cleanly.
  process.on('uncaughtException', (err) => {
    gateway?.logError('uncaught exception; stopping', err);
    void gateway?.shutdown('uncaught exception', 70);
    if (!gateway) process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    gateway?.logError('unhandled promise rejection', reason);
  });
  try {
    gateway = new Gateway({ foreground: opts.foreground ?? true });
    await gateway.start();
  } catch (err) {
    if (err instanceof CannotStartError) {
      process.stderr.write(`opensoul gateway: cannot start: ${gateway ? gateway.secrets.redact(err.message) : err.message}\n`);
      process.exit(EXIT.CANNOT_START);
    }
    if (err instanceof AlreadyRunningError) {
      process.stderr.write(`opensoul gateway: ${err.message}\n`);
      process.exit(EXIT.FAILED);
    }
    gateway?.logError('gateway failed to start', err);
    process.stderr.write(
      `opensoul gateway: failed to start: ${err instanceof Error ? (gateway ? gateway.secrets.redact(err.message) : err.name) : 'unknown error'}\n`,
    );
    process.exit(EXIT.FAILED);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void runGateway({ foreground: true });
