/**
 * Errors of the local service commands (`gateway install|uninstall|start|stop|restart|status|logs`).
 * Their kinds are rows of the one error table in `ipc/errors.ts` (with no JSON-RPC code: they
 * never cross the socket); each message is worded where the failure happens, naming the file or
 * command and what to do next, and holds no secret.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { ErrorKind } from '../../ipc/errors.js';
import { UnitValueError } from '../../units/value-checks.js';

/** Every way a service command can fail on its own (daemon errors keep their own kinds). */
export type ServiceErrorCode = Extract<
  ErrorKind,
  | 'SERVICE_FILE_CONFLICT'
  | 'NO_SERVICE_MANAGER'
  | 'SERVICE_COMMAND_FAILED'
  | 'SERVICE_VALUE'
  | 'SERVICE_FILE_WRITE'
  | 'DAEMON_TIMEOUT'
  | 'DAEMON_EXITED'
  | 'NO_LOG'
  | 'USAGE'
>;

/** A refusal or failure of a service command, reported by `action()` like any OpenSoulError. */
export class ServiceError extends OpenSoulError {
  constructor(code: ServiceErrorCode, message: string, exitCode?: number) {
    super(code, { reason: message }, message, exitCode);
    this.name = 'ServiceError';
  }
  get code(): ServiceErrorCode {
    return this.kind as ServiceErrorCode;
  }
}

/**
 * `make()`, with a value the unit generators refuse (a path with a newline, or with bytes that
 * are not UTF-8) turned into a SERVICE_VALUE ServiceError that names it — wherever the refusal
 * comes from: a file's text, or the directory the files go into (from HOME or XDG_CONFIG_HOME).
 */
export function refusingUnitValues<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof UnitValueError) throw new ServiceError('SERVICE_VALUE', `cannot write a service file: ${err.message}`);
    throw err;
  }
}
