/**
 * Appends finished log lines to `logs/gateway.log` (SPEC §3) and rotates it by size. winston's
 * File transport lost lines when `maxsize` rotation met a burst (winstonjs/winston#1655,
 * reproduced in the dependency audit, Q5), so this writes synchronously and rotates itself:
 * once `write()` returns, the line is in the kernel's hands.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Rotate once the file would grow past this many bytes (5 MiB). */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
/** Rotated files kept beside the live one (`gateway.log.1` … `gateway.log.3`). */
export const DEFAULT_KEEP = 3;

/** Options of {@link RotatingFileTransport}. */
export interface RotatingFileOptions {
  /** The live log file, e.g. `<stateDir>/logs/gateway.log`. Its directory is created 0700. */
  file: string;
  /** Size past which the file is rotated; default {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Rotated files to keep (`<file>.1` newest … `<file>.<keep>` oldest); default {@link DEFAULT_KEEP}. */
  keep?: number;
}

/** Identity of the file we hold open, to notice when someone removes or renames it. */
interface OpenFile {
  fd: number;
  dev: number;
  ino: number;
}

/**
 * Appends each finished (already redacted) line plus `\n` with synchronous writes to a 0600
 * file and rotates it by size. Never throws into the logger: a line that cannot be written
 * after one reopen is dropped and counted in {@link errors}.
 */
export class RotatingFile {
  readonly #file: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #open: OpenFile | null = null;
  #closed = false;
  #errors = 0;

  constructor(options: RotatingFileOptions) {
    this.#file = path.resolve(options.file);
    this.#maxBytes = positiveInteger(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes', 1);
    this.#keep = positiveInteger(options.keep, DEFAULT_KEEP, 'keep', 0);
    // Open now so a file that is already too big is rotated at start-up, and a directory we
    // cannot create is counted before the first line rather than during it. A failure here is
    // not fatal: every write tries to open again.
    try {
      this.#open = this.#openFile();
    } catch {
      this.#errors++;
    }
  }

  /** Lines dropped, or rotations that failed, because of a file-system error. */
  get errors(): number {
    return this.#errors;
  }

  /** The live log file's absolute path. */
  get file(): string {
    return this.#file;
  }

  /** Writes one finished line (the logger's, after redaction); ignored once closed. */
  write(line: string): void {
    if (!this.#closed) this.#writeLine(line);
  }

  /** Closes the file. Idempotent; later lines are ignored. */
  close(): void {
    this.#closed = true;
    this.#closeFd();
  }

  #writeLine(message: string): void {
    const line = Buffer.from(`${message}\n`, 'utf8');
    try {
      this.#append(line);
    } catch {
      // Disk full, directory deleted between our check and the write, fd gone bad: reopen once
      // (re-creating the directory), try again, and otherwise drop the line. A logger that
      // throws would turn a full disk into a crashed daemon.
      this.#closeFd();
      try {
        this.#open = this.#openFile();
        this.#writeAll(this.#open.fd, line);
      } catch {
        this.#closeFd();
        this.#errors++;
      }
    }
  }

  #append(line: Buffer): void {
    let current = this.#open ?? (this.#open = this.#openFile());
    // One stat of the path per line. It catches the file being deleted (even with its whole
    // directory: writes to an unlinked inode succeed and vanish) or renamed by someone else,
    // and gives the true size, so two writers cannot push us past maxBytes unnoticed.
    const onDisk = fs.statSync(this.#file, { throwIfNoEntry: false });
    if (onDisk === undefined || onDisk.ino !== current.ino || onDisk.dev !== current.dev) {
      this.#closeFd();
      current = this.#open = this.#openFile();
    } else if (onDisk.size > 0 && onDisk.size + line.length > this.#maxBytes) {
      this.#closeFd();
      this.#rotate();
      current = this.#open = this.#openFile();
    }
    this.#writeAll(current.fd, line);
  }

  /** Loops because a write to a regular file may be partial (e.g. when the disk fills up). */
  #writeAll(fd: number, line: Buffer): void {
    let offset = 0;
    while (offset < line.length) offset += fs.writeSync(fd, line, offset, line.length - offset);
  }

  #openFile(): OpenFile {
    // 0700: the directory of a file that records which profiles failed and why is nobody
    // else's business. Only created here, never chmod-ed: `file` may live in a directory we
    // do not own (/tmp), and tightening that would break other programs.
    fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    const existing = fs.statSync(this.#file, { throwIfNoEntry: false });
    if (existing !== undefined && existing.size > this.#maxBytes) this.#rotate();
    const fd = fs.openSync(this.#file, 'a', 0o600);
    try {
      const stats = fs.fstatSync(fd);
      // The creation mode applies only to a new file: an existing wider one (an older version,
      // a person's `touch` under umask 022) is narrowed before we write a line into it.
      if ((stats.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
      return { fd, dev: stats.dev, ino: stats.ino };
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /**
   * Shifts `<file>.(n-1)` → `<file>.n` … `<file>` → `<file>.1`; the rename onto `<file>.<keep>`
   * replaces (deletes) the oldest. Called with our fd closed, so no line can land in a file
   * after it moved. Renames are atomic, so a crash leaves every file whole.
   */
  #rotate(): void {
    try {
      if (this.#keep === 0) {
        fs.rmSync(this.#file, { force: true });
        return;
      }
      for (let index = this.#keep - 1; index >= 1; index--) {
        renameIfPresent(`${this.#file}.${index}`, `${this.#file}.${index + 1}`);
      }
      renameIfPresent(this.#file, `${this.#file}.1`);
    } catch {
      // Rotation failed (e.g. a read-only directory): keep appending to the big file rather
      // than lose lines, and count it. The next line will try again.
      this.#errors++;
    }
  }

  #closeFd(): void {
    const open = this.#open;
    this.#open = null;
    if (open === null) return;
    try {
      fs.closeSync(open.fd);
    } catch {
      // Already invalid: nothing left to release.
    }
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`RotatingFile: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
