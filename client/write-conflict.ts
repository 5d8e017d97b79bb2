/**
 * How a write command meets the daemon's CONFLICT (a different secret already at that profile
 * id or env var): `--force` replaces at once; on a terminal (and not `--json`) the person sees
 * both masked secrets and is asked; otherwise the command fails (exit 1) with the daemon's words
 * plus the way to replace it, worded here because only the CLI knows its own flags.
 */
import { OpenSoulError } from '../ipc/errors.js';
import type { ErrorDetails } from '../ipc/errors.js';
import type { WriteResult } from '../ipc/protocol.js';
import { isInteractive } from './secret-input.js';

export interface ReplaceOptions {
  force: boolean;
  json: boolean;
  /** The command to run again with `--force`, as the person would type it. */
  rerun: string;
  /** Never ask (`--non-interactive`), even on a terminal. */
  noPrompt?: boolean;
}

const was = (d: ErrorDetails) => `${d.existingType === 'value' ? '' : `${String(d.existingType)} `}${String(d.existingMasked)}`;

/** The CONFLICT error with this CLI's remedy appended. */
export function conflictWithRemedy(err: OpenSoulError, rerun: string): OpenSoulError {
  return new OpenSoulError('CONFLICT', err.details, `${err.message}: run \`${rerun} --force\`, or run the command in a terminal and answer yes`);
}

/** Calls `write(false)`; on CONFLICT asks on a terminal and calls `write(true)` once confirmed. */
export async function writeConfirmingReplace(write: (replace: boolean) => Promise<WriteResult>, opts: ReplaceOptions): Promise<WriteResult> {
  if (opts.force) return write(true);
  try {
    return await write(false);
  } catch (err) {
    if (!(err instanceof OpenSoulError) || err.kind !== 'CONFLICT' || err.details.id === undefined) throw err;
    if (opts.json || opts.noPrompt || !isInteractive()) throw conflictWithRemedy(err, opts.rerun);
    const d = err.details;
    const { confirm, isCancel } = await import('@clack/prompts');
    const newType = d.newType === 'value' ? 'value' : String(d.newType);
    const answer = await confirm({
      message: `${String(d.id)} already holds ${was(d)}. Replace it with the new ${newType} ${String(d.newMasked)}?`,
      initialValue: false,
    });
    if (isCancel(answer) || !answer) throw new OpenSoulError('CONFLICT', d, `Not replaced: ${String(d.id)} keeps ${was(d)}; nothing was changed`);
    return write(true);
  }
}

/** `Replaced <id> (was <type> <masked>)`, the words every write command uses for a replacement. */
export function replacedLine(id: string, replaced: WriteResult['replaced']): string | null {
  if (!replaced) return null;
  return `Replaced ${id} (was ${replaced.type === 'value' ? '' : `${replaced.type} `}${replaced.masked})`;
}
