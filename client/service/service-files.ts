/**
 * Writing service files the way SPEC §10 asks: a file identical to what would be generated is
 * left alone ("unchanged"); one that differs is replaced only with `--force`, after a backup
 * (`<file>.bak-<timestamp>`, 0600); every write is a rename, so a crash leaves the old file or
 * the new one, never half of each. Nothing is written until every file has been checked, so a
 * refusal changes nothing.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { assertUtf8Path } from '../../units/value-checks.js';
import { ServiceError, refusingUnitValues } from './errors.js';

export interface ServiceFile {
  readonly path: string;
  readonly content: string;
}

/** A service file's text, or the generator's refusal as a ServiceError naming the path to fix. */
export function generated(make: () => string): string {
  return refusingUnitValues(make);
}

/** `new`: absent; `unchanged`: byte-identical; `differs`: someone's (or an older install's) file. */
export type FileState = 'new' | 'unchanged' | 'differs';

export interface InspectedFile extends ServiceFile {
  readonly state: FileState;
}

export interface WrittenFile {
  readonly path: string;
  readonly action: 'created' | 'unchanged' | 'replaced';
  /** The copy of the replaced file, when one was made. */
  readonly backup: string | null;
}

function readIfPresent(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw writeError('read', file, err);
  }
}

export function inspectFiles(files: readonly ServiceFile[]): InspectedFile[] {
  return files.map((f) => {
    // Where the file goes, too: a unit dir from a HOME that is not UTF-8 would be a new
    // directory, one the service manager never reads.
    refusingUnitValues(() => assertUtf8Path('service file', f.path));
    const current = readIfPresent(f.path);
    return { ...f, state: current === null ? 'new' : current === f.content ? 'unchanged' : 'differs' };
  });
}

/** The refusal when a file differs and `--force` was not given; names every such file. */
export function conflictError(differing: readonly InspectedFile[], display: (p: string) => string): ServiceError {
  const names = differing.map((f) => display(f.path)).join(', ');
  return new ServiceError(
    'SERVICE_FILE_CONFLICT',
    `${names} ${differing.length === 1 ? 'exists and differs' : 'exist and differ'} from what \`opensoul gateway install\` would write ` +
      `(edited by hand, or installed with another node or opensoul path); nothing was changed. ` +
      'Rerun with --force to replace (the current file is kept as <file>.bak-<timestamp>), or with --dry-run to see the new content',
  );
}

/** A compact UTC timestamp for backup names: `20261124T120301Z`. */
export function backupStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function writeError(verb: string, file: string, err: unknown): ServiceError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const hint =
    code === 'EACCES' || code === 'EPERM' ? ' (permission denied: a system unit needs root, e.g. sudo)' : code === 'EROFS' ? ' (read-only file system)' : '';
  return new ServiceError('SERVICE_FILE_WRITE', `cannot ${verb} ${file}: ${code}${hint}`);
}

/** Writes `content` to `file` through a temp file in the same directory and a rename. */
function writeAtomically(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw writeError('write', file, err);
  }
}

/** Copies the current content to `<file>.bak-<stamp>` (0600, never overwriting another backup). */
function backup(file: string, now: Date): string {
  const content = readFileSync(file);
  const base = `${file}.bak-${backupStamp(now)}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    try {
      // 0600: a person's hand-edited unit may hold things they did not mean to publish.
      const fd = openSync(name, 'wx', 0o600);
      try {
        writeSync(fd, content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw writeError('back up', file, err);
    }
  }
}

/**
 * Writes the inspected files: new ones created, unchanged ones left, differing ones backed up
 * and replaced (the caller has already refused without `--force`). Files are 0644: a service
 * manager must read them and they hold no secret.
 */
export function applyFiles(files: readonly InspectedFile[], now: Date = new Date()): WrittenFile[] {
  return files.map((f) => {
    if (f.state === 'unchanged') return { path: f.path, action: 'unchanged', backup: null };
    try {
      mkdirSync(path.dirname(f.path), { recursive: true, mode: 0o755 });
    } catch (err) {
      throw writeError('create the directory of', f.path, err);
    }
    const saved = f.state === 'differs' ? backup(f.path, now) : null;
    writeAtomically(f.path, f.content, 0o644);
    return { path: f.path, action: f.state === 'differs' ? 'replaced' : 'created', backup: saved };
  });
}

/** Removes the files that exist; returns those removed. */
export function removeFiles(files: readonly string[]): string[] {
  const removed: string[] = [];
  for (const file of files) {
    try {
      unlinkSync(file);
      removed.push(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError('remove', file, err);
    }
  }
  return removed;
}
