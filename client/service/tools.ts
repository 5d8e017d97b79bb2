/**
 * Running the service manager's own commands (`systemctl`, `loginctl`, `launchctl`): argv only,
 * never a shell, output captured, a time limit, and every command kept in order so install can
 * show (and `--json` report) exactly what it ran.
 */
import { knownProviderEnvVars } from '../../ipc/providers.js';
import { ServiceError } from './errors.js';

export interface ToolResult {
  /** Exit code; null when killed by a signal or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not on PATH. */
  missing: boolean;
}

/**
 * The environment for the manager's commands: ours without the provider keys. `systemctl` and
 * `launchctl` do not pass their environment to the service, but a key has no business in
 * them, and this keeps "the service does not see your shell's keys" true whatever they do.
 */
export function toolEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of knownProviderEnvVars()) delete out[name];
  return out;
}

/** Runs `argv` to completion; never throws (a missing program is `missing: true`). */
export function runTool(argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ToolResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.resolve({ code: null, stdout: '', stderr: '', missing: true });
  // Loaded here, not at the top: node:child_process costs ~16M instructions to load, and
  // `doctor` often has nothing to run (no user bus, service manager forced).
  return import('node:child_process').then(
    ({ spawn }) =>
      new Promise((resolve) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnvironment() });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
        child.once('error', (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve({ code: null, stdout, stderr: stderr || err.message, missing: err.code === 'ENOENT' });
        });
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr, missing: false });
        });
      }),
  );
}

/** A command line for people: words with spaces or quotes are single-quoted. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The first few lines a failing command wrote, for an error message. */
export function firstLines(text: string, max = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, max)
    .join(' / ');
}

/**
 * Runs the manager's commands for one CLI command and remembers them. `run` throws a
 * ServiceError naming the command when it fails; `query` never does (its result is data).
 * `onAction` sees every state-changing command as it starts (the human view lists them).
 */
export class CommandLog {
  readonly ran: string[] = [];
  constructor(private readonly onAction: (line: string) => void = () => undefined) {}

  async query(argv: readonly string[], timeoutMs = 10_000): Promise<ToolResult> {
    this.ran.push(formatCommand(argv));
    return runTool(argv, { timeoutMs });
  }

  async run(argv: readonly string[], opts: { timeoutMs?: number; allowFailure?: boolean } = {}): Promise<ToolResult> {
    const line = formatCommand(argv);
    this.ran.push(line);
    this.onAction(line);
    const r = await runTool(argv, { timeoutMs: opts.timeoutMs ?? 60_000 });
    if (r.missing) throw new ServiceError('SERVICE_COMMAND_FAILED', `\`${argv[0] ?? ''}\` is not on PATH, so \`${line}\` could not run`);
    if (r.code !== 0 && opts.allowFailure !== true) {
      const why = firstLines(r.stderr) || firstLines(r.stdout) || 'no output';
      throw new ServiceError('SERVICE_COMMAND_FAILED', `\`${line}\` failed (${r.code === null ? 'killed' : `exit ${r.code}`}): ${why}`);
    }
    return r;
  }
}
