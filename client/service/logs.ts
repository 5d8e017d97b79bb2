/**
 * `opensoul gateway logs [-n N] [-f]` (SPEC §7): the last lines of `<stateDir>/logs/gateway.log`
 * — a local read of a file the daemon has already redacted, not a credential file — and with
 * `-f`, the lines that follow, across rotation (the daemon renames the file to `.1` and starts
 * a new one), until SIGINT or SIGTERM.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { ActionEnv } from '../cli-context.js';
import { locate } from '../connection.js';
import { printJson } from '../output.js';
import { ServiceError } from './errors.js';

/** How often `-f` looks at the file. Polling, not fs.watch: it also sees renames on every platform and file system. */
const FOLLOW_INTERVAL_MS = 200;
const CHUNK = 64 * 1024;

/** The last `n` lines of the open file (of `size` bytes), each ending in `\n`. Reads backwards, so a big file costs little. */
export function lastLines(fd: number, size: number, n: number): string {
  if (n <= 0 || size <= 0) return '';
  let pos = size;
  let buf = Buffer.alloc(0);
  const newlines = (b: Buffer) => {
    let count = 0;
    // A final `\n` ends the last line; it does not start another.
    const end = b.length > 0 && b[b.length - 1] === 0x0a ? b.length - 1 : b.length;
    for (let i = 0; i < end; i++) if (b[i] === 0x0a) count++;
    return count;
  };
  while (pos > 0 && newlines(buf) < n) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const part = Buffer.alloc(len);
    readSync(fd, part, 0, len, pos);
    buf = Buffer.concat([part, buf]);
  }
  const lines = buf.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `${lines.slice(-n).join('\n')}\n`;
}

interface OpenLog {
  fd: number;
  dev: number;
  ino: number;
  pos: number;
}

function openLog(file: string, at: 'start' | 'end'): OpenLog | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  const st = fstatSync(fd);
  return { fd, dev: st.dev, ino: st.ino, pos: at === 'end' ? st.size : 0 };
}

/**
 * Follows `file` from `start` on: new bytes are written out up to the last complete line; when
 * the path names another file (rotated: renamed away and recreated), the old one is read to its
 * end first, then the new one from its beginning; a file truncated in place is read from 0.
 */
function follow(file: string, start: OpenLog | null, write: (text: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let current = start;
    let pending = Buffer.alloc(0);
    const drain = (log: OpenLog) => {
      for (;;) {
        const buf = Buffer.alloc(CHUNK);
        const n = readSync(log.fd, buf, 0, CHUNK, log.pos);
        if (n <= 0) break;
        log.pos += n;
        pending = Buffer.concat([pending, buf.subarray(0, n)]);
      }
      const cut = pending.lastIndexOf(0x0a);
      if (cut >= 0) {
        write(pending.subarray(0, cut + 1).toString('utf8'));
        pending = pending.subarray(cut + 1);
      }
    };
    const tick = () => {
      try {
        if (current) drain(current);
        const onDisk = statSync(file, { throwIfNoEntry: false });
        if (onDisk === undefined) return; // renamed, not yet recreated: keep the old one
        if (current && (onDisk.ino !== current.ino || onDisk.dev !== current.dev)) {
          drain(current);
          closeSync(current.fd);
          current = null;
          pending = Buffer.alloc(0);
        } else if (current && onDisk.size < current.pos) {
          current.pos = 0;
        }
        if (!current) {
          current = openLog(file, 'start');
          if (current) drain(current);
        }
      } catch {
        /* a file that vanished between calls: the next tick sees the new state */
      }
    };
    const timer = setInterval(tick, FOLLOW_INTERVAL_MS);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (current) closeSync(current.fd);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // `logs -f | head`: the reader went away, so there is nobody left to follow for.
    process.stdout.on('error', stop);
    tick();
  });
}

/**
 * `--json`: the log's lines as one document. Each line is a JSON record already; one that is
 * not (cut short by a crash, say) is kept as `{"unparsed": "<line>"}` rather than dropped.
 */
export function logDocument(file: string, text: string): { file: string; lines: unknown[] } {
  const lines = text.split('\n').filter((l) => l !== '');
  return {
    file,
    lines: lines.map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return { unparsed: line };
      }
    }),
  };
}

export async function logsCommand(env: ActionEnv, opts: { lines: number; follow: boolean }): Promise<number> {
  const file = locate().paths.log;
  if (env.json && opts.follow) {
    throw new ServiceError('USAGE', '--json prints one document and cannot follow the log; `gateway logs -f` already prints one JSON record per line');
  }
  const log = openLog(file, 'end');
  if (!log && !opts.follow) {
    throw new ServiceError('NO_LOG', `there is no log at ${file} yet: the gateway writes it once it has started (\`opensoul gateway start\`)`);
  }
  const write = (text: string) => {
    process.stdout.write(text);
  };
  if (env.json && log) {
    const text = lastLines(log.fd, log.pos, opts.lines);
    closeSync(log.fd);
    printJson(logDocument(file, text));
    return 0;
  }
  if (log) write(lastLines(log.fd, log.pos, opts.lines));
  else process.stderr.write(`waiting for ${file} to appear…\n`);
  if (!opts.follow) {
    if (log) closeSync(log.fd);
    return 0;
  }
  await follow(file, log, write);
  return 0;
}
