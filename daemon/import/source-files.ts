/**
 * Read-only access to an OpenClaw state dir for `import openclaw`. The source belongs to
 * another program (possibly still installed, possibly rolled back to): nothing here opens a
 * file for writing, creates a lock or changes a mode — `readFile`, `readdir` and `stat` only.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';
import { parseJsonc } from '../../ipc/jsonc.js';

export type SourceFile = { kind: 'missing' } | { kind: 'bytes'; bytes: Buffer } | { kind: 'unreadable'; reason: string };

const READ_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many symbolic links',
};

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? '';

/** The bytes of a file, or why there are none ("missing" also covers a parent that is not a dir). */
export async function readSourceFile(file: string): Promise<SourceFile> {
  try {
    return { kind: 'bytes', bytes: await readFile(file) };
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', reason: READ_ERRORS[code] ?? `cannot be read (${code || 'error'})` };
  }
}

/** The names in a directory; empty when it does not exist or is not a directory. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new OpenSoulError('INVALID_INPUT', { reason: `${dir} cannot be listed (${READ_ERRORS[code] ?? (code || 'error')})`, path: dir });
  }
}

/** The size of a file, or null when it does not exist. */
export async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** JSON text with a label for warnings (a file path, or a database row). */
export interface LabeledText {
  label: string;
  text: string;
}

/**
 * Parses with `parseJsonc`: its errors are positions only, never content, so the label and
 * position can go into a warning as they are.
 */
export function parseLabeled(source: LabeledText, warnings: string[]): { ok: true; value: unknown } | { ok: false; position: string } {
  const parsed = parseJsonc(source.text);
  if (!parsed.ok) return { ok: false, position: parsed.error.message };
  for (const w of parsed.warnings) warnings.push(`${source.label}: ${w}`);
  return { ok: true, value: parsed.value };
}
