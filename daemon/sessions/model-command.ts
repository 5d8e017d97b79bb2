/**
 * The chat commands of a session (§8.3), parsed as a pure function of one line: `/model` and its
 * forms, `/new`, `/help`. Any other line is a message for the model; any other `/word` is an
 * unknown command (answered with the known ones, never sent to the model by mistake).
 */

/** A parsed chat line. */
export type ChatCommand =
  | { kind: 'not-command' }
  | { kind: 'unknown-command'; name: string }
  | { kind: 'help' }
  | { kind: 'new' }
  | { kind: 'model-list' }
  | { kind: 'model-status' }
  /** `/model <n>`, 1-based, from the last list; optionally pinned with `@<profileId>`. */
  | { kind: 'model-pick'; index: number; profile: string | null }
  /** `/model <alias-or-provider/model>`, optionally pinned with `@<profileId>`. */
  | { kind: 'model-set'; ref: string; profile: string | null }
  /** A `/model` line that cannot mean anything: `reply` says why, in words for the person. */
  | { kind: 'model-invalid'; reply: string };

/** The commands a session knows, with what each does, for `/help` and unknown-command replies. */
export const KNOWN_COMMANDS: readonly { usage: string; does: string }[] = [
  { usage: '/model', does: 'show the models to pick from and how to switch' },
  { usage: '/model status', does: 'the credentials of every provider and which one the next call uses' },
  { usage: '/model <n> | <alias> | <provider/model>', does: "switch this session's model" },
  { usage: '/model <ref>@<profileId>', does: 'switch and pin that credential for this session' },
  { usage: '/new', does: 'clear the conversation (model and pin stay)' },
  { usage: '/help', does: 'this list' },
];

/**
 * A command word at the start of a line: `/` then a letter, then letters, digits, `-`, `_`,
 * ended by whitespace, the end, `@` (`/model@x`: a pin with no model, answered rather than sent
 * to the model) or `:` (OpenClaw's `/model: opus`). `/etc/passwd?` is a message, not a command.
 */
const COMMAND_WORD = /^\/([A-Za-z][A-Za-z0-9_-]*)(?=$|[\s@:])/;

/**
 * Splits `<ref>@<profileId>` at the first `@` after the last `/` (§8.3), so a model id may hold
 * `@` only before its last `/` and a profile id may hold `@` anywhere:
 * `openrouter/meta/llama@x@y` → `openrouter/meta/llama` + `x@y`; `opus@anthropic:work` →
 * `opus` + `anthropic:work`. No `@` there: the whole text is the ref and the profile is null.
 */
export function splitProfileSuffix(text: string): { ref: string; profile: string | null } {
  const at = text.indexOf('@', text.lastIndexOf('/') + 1);
  if (at < 0) return { ref: text, profile: null };
  return { ref: text.slice(0, at), profile: text.slice(at + 1) };
}

const PIN_NEEDS_MODEL = 'A profile pin needs a model: /model <ref>@<profileId>, e.g. /model opus@anthropic:work.';

function parseModelArgument(rest: string): ChatCommand {
  // Whitespace tolerant: `/model opus @ anthropic:work` is `/model opus@anthropic:work`.
  const arg = rest.replace(/\s*@\s*/g, '@');
  if (arg === '') return { kind: 'model-list' };
  if (/\s/.test(arg)) {
    return { kind: 'model-invalid', reply: 'One model at a time: /model <alias-or-provider/model>[@<profileId>]. Send /model to see the choices.' };
  }
  const { ref, profile } = splitProfileSuffix(arg);
  if (profile === '') return { kind: 'model-invalid', reply: `No profile after "@": /model ${ref}@<profileId>, e.g. /model ${ref || 'opus'}@anthropic:work.` };
  if (ref === '') return { kind: 'model-invalid', reply: PIN_NEEDS_MODEL };
  const word = ref.toLowerCase();
  if (word === 'list' || word === 'status') {
    return profile === null ? { kind: word === 'list' ? 'model-list' : 'model-status' } : { kind: 'model-invalid', reply: PIN_NEEDS_MODEL };
  }
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (!Number.isSafeInteger(index) || index < 1) return { kind: 'model-invalid', reply: 'Models are numbered from 1: send /model to see the list.' };
    return { kind: 'model-pick', index, profile };
  }
  return { kind: 'model-set', ref, profile };
}

/** Parses one chat line. Leading and trailing whitespace are ignored; the command word is case-insensitive. */
export function parseChatLine(line: string): ChatCommand {
  const text = line.trim();
  const match = COMMAND_WORD.exec(text);
  if (!match) return { kind: 'not-command' };
  const name = (match[1] as string).toLowerCase();
  const rest = text.slice(match[0].length).replace(/^:/, '').trim();
  switch (name) {
    case 'model':
      return parseModelArgument(rest);
    case 'new':
      return { kind: 'new' };
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'unknown-command', name };
  }
}
