/**
 * The text of every reply a session command gives (§8.3), as pure functions of their inputs:
 * plain text (no colours: chat front-ends show it as is), worded after OpenClaw's `/model`
 * replies. Secrets appear only as `models.status` already masked them.
 */
import { formatDuration, formatWait, UNTIL_REPLACED_MS } from '../../ipc/duration.js';
import type { ModelsStatusResult, ProfileStatusEntry, ProviderStatusEntry } from '../../ipc/protocol.js';
import { providerSpec } from '../../ipc/providers.js';
import { tildePath } from '../../ipc/tilde-path.js';
import { visibleStrings } from '../../ipc/visible-strings.js';
import { KNOWN_COMMANDS } from './model-command.js';
import type { ModelListItem } from './model-list.js';
import type { SessionView } from './session-view.js';

/** The largest unit of a duration: `cooldown 3m`, `exp 11mo` (the status view has the exact times). */
function short(ms: number): string {
  return formatDuration(ms).split(' ')[0] as string;
}

/** `auto (the agent's order)` or `anthropic:work (pinned)`. */
export function credentialLabel(pin: string | null): string {
  return pin === null ? "auto (the agent's order)" : `${pin} (pinned)`;
}

function modelLabel(ref: string, aliases: readonly string[]): string {
  return aliases.length > 0 ? `${ref} (${aliases.join(', ')})` : ref;
}

/** What `/model` and `/model list` answer: where the session is, the numbered models, how to switch. */
export function renderModelList(input: { view: SessionView; items: readonly ModelListItem[]; exampleProfile?: string | null }): string {
  const { view, items } = input;
  const current = items.find((i) => i.isCurrent);
  const lines = [`Current: ${modelLabel(view.model, current?.aliases ?? [])}`, `Credential: ${credentialLabel(view.pin)}`, '', 'Models:'];
  items.forEach((item, i) => {
    const tags = [item.isDefault ? 'default' : null, item.isFallback ? 'fallback' : null, item.isCurrent ? 'current' : null].filter(Boolean);
    lines.push(`  ${i + 1}. ${modelLabel(item.ref, item.aliases)}${tags.length > 0 ? `  [${tags.join(', ')}]` : ''}`);
  });
  const example = items.find((i) => i.aliases.length > 0)?.aliases[0] ?? items[0]?.ref ?? 'opus';
  lines.push(
    '',
    'Switch: /model <n>, /model <alias> or /model <provider/model>',
    `Pin a credential: /model <ref>@<profileId>, e.g. /model ${example}@${input.exampleProfile ?? 'anthropic:work'}`,
    'More: /model status',
  );
  return lines.join('\n');
}

/** The flags of one profile in `/model status`: `next`, `lastGood`, `pinned`, `cooldown 3m`, `exp 11mo`… */
export function profileFlags(p: ProfileStatusEntry, pin: string | null, now: number): string[] {
  const flags: string[] = [];
  if (p.next) flags.push('next');
  if (p.lastGood) flags.push('lastGood');
  if (p.id === pin) flags.push('pinned');
  if (p.status === 'disabled' && p.disabledUntil !== null) {
    const kind = reasonKind(p.reason);
    const wait = p.disabledUntil >= UNTIL_REPLACED_MS ? formatWait(p.disabledUntil, now) : short(p.disabledUntil - now);
    flags.push(`disabled${kind ? ` ${kind}` : ''} ${wait}`);
  } else if (p.status === 'cooldown' && p.cooldownUntil !== null) {
    flags.push(`cooldown ${short(p.cooldownUntil - now)}`);
  }
  if (p.status === 'expired') flags.push('expired');
  else if (p.status === 'missing') flags.push(`missing${p.reason ? `: ${p.reason}` : ''}`);
  else if (p.expiresAt !== null && p.expiresAt > now) flags.push(`exp ${short(p.expiresAt - now)}`);
  if (p.inheritedFrom) flags.push(`from ${p.inheritedFrom}`);
  return flags;
}

/** `billing` of `billing`, `credential_scope` of `credential_scope: use an Anthropic API key instead`. */
function reasonKind(reason: string | null): string | null {
  if (!reason) return null;
  const colon = reason.indexOf(':');
  return (colon < 0 ? reason : reason.slice(0, colon)).split(',')[0]?.trim() || null;
}

/** The remedy carried in a `credential_scope` reason (status puts it after the colon). */
function remedyOf(p: ProfileStatusEntry): string | null {
  if (p.status !== 'disabled' || !p.reason?.startsWith('credential_scope')) return null;
  const colon = p.reason.indexOf(':');
  return colon < 0 ? 'use an Anthropic API key instead' : p.reason.slice(colon + 1).trim();
}

const TYPE_WORDS: Record<ProfileStatusEntry['type'], string> = { api_key: 'api-key', token: 'token', oauth: 'oauth' };

const usable = (p: ProfileStatusEntry) => p.status === 'ok' || p.status === 'static' || p.status === 'expiring';

/**
 * The provider's profiles in call order: `order` (ids as the resolver would try them) when the
 * caller has it; else the pin, then `next`, then the usable ones, then cooling/disabled soonest
 * first, then the ones that cannot be used.
 */
export function profilesInOrder(entry: ProviderStatusEntry, pin: string | null, order?: readonly string[]): ProfileStatusEntry[] {
  const rank = (p: ProfileStatusEntry): number => {
    if (order) {
      const i = order.indexOf(p.id);
      return i < 0 ? order.length + (usable(p) ? 0 : 1) : i;
    }
    if (p.id === pin) return 0;
    if (p.next) return 1;
    if (usable(p)) return 2;
    if (p.status === 'cooldown' || p.status === 'disabled') return 3;
    return 4;
  };
  const until = (p: ProfileStatusEntry) => p.cooldownUntil ?? p.disabledUntil ?? 0;
  return [...entry.profiles].sort((a, b) => rank(a) - rank(b) || until(a) - until(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Which credential the next call of the provider uses, in words. */
export function nextCallLabel(entry: ProviderStatusEntry | undefined, pin: string | null, now: number): string {
  const profiles = entry?.profiles ?? [];
  const pinned = pin !== null ? profiles.find((p) => p.id === pin) : undefined;
  if (pinned) {
    if (usable(pinned)) return `${pinned.id} (pinned)`;
    const why = profileFlags(pinned, null, now)
      .filter((f) => f !== 'next' && f !== 'lastGood')
      .join(', ');
    return `${pinned.id} (pinned, ${why || pinned.status}): calls fail until it is usable again; /model <ref> without @ unpins it`;
  }
  const next = profiles.find((p) => p.next);
  if (next) return next.id;
  if (entry?.env) return `the env key ${entry.env.var} (${entry.env.masked})`;
  const waiting = profiles
    .filter((p) => p.status === 'cooldown' || p.status === 'disabled')
    .sort((a, b) => (a.cooldownUntil ?? a.disabledUntil ?? 0) - (b.cooldownUntil ?? b.disabledUntil ?? 0))[0];
  if (waiting) {
    const until = waiting.cooldownUntil ?? waiting.disabledUntil ?? now;
    return `none available now (${waiting.id} is back ${until >= UNTIL_REPLACED_MS ? 'once it is replaced' : `in ${short(until - now)}`})`;
  }
  return 'none: no credential';
}

/** Input of {@link renderModelStatus}. */
export interface StatusReplyInput {
  view: SessionView;
  /**
   * The agent's default model (`provider/model`). Not `status.resolvedDefault`: the status is
   * computed with the session's model in the default's place, so its provider's entry is right.
   */
  defaultModel: string;
  status: ModelsStatusResult;
  /** Provider → profile ids in call order, when the caller has them (else derived from the flags). */
  order?: Readonly<Record<string, readonly string[]>>;
  /** Paths under it are shown as `~/…`, as the CLI shows them (default: `$HOME`). */
  home?: string;
}

/** What `/model status` answers: current and default model, agent, auth store, and per provider the candidates in order. */
export function renderModelStatus(input: StatusReplyInput): string {
  // Profile ids, labels, model ids and paths come from files a person (or another program) wrote:
  // a line feed in an id must not make a line that looks like another profile's, and an escape
  // sequence reaches no front-end. All of them through the same transform, so ids still match.
  const {
    view,
    status,
    defaultModel,
    order: callOrder,
  } = visibleStrings({
    view: input.view,
    status: input.status,
    defaultModel: input.defaultModel,
    order: input.order,
  });
  const home = input.home ?? process.env.HOME ?? '';
  const now = status.now;
  const lines = [
    `Current: ${view.model}${view.modelFromSession ? '' : " (the agent's default)"}`,
    `Credential: ${credentialLabel(view.pin)}`,
    `Default: ${defaultModel}${status.fallbacks.length > 0 ? `, fallbacks: ${status.fallbacks.join(', ')}` : ''}`,
    `Agent: ${status.agent}`,
    `Auth store: ${tildePath(status.authStore, home)}`,
  ];
  // The session's provider first: it is what the person is asking about.
  const providers = [...status.providers].sort((a, b) => Number(b.provider === view.provider) - Number(a.provider === view.provider));
  if (!providers.some((p) => p.provider === view.provider)) {
    lines.push(
      '',
      `[${view.provider}] no credential`,
      `  ${providerSpec(view.provider)?.hint ?? `Add one: opensoul models auth paste-api-key --provider ${view.provider}`}`,
    );
  }
  for (const entry of providers) {
    const pin = view.pin !== null && entry.profiles.some((p) => p.id === view.pin) ? view.pin : null;
    const orderWord = pin ? 'pinned' : entry.orderSource === 'agent' ? "agent's order" : entry.orderSource === 'config' ? 'config auth.order' : 'round robin';
    lines.push('', `[${entry.provider}] endpoint: ${entry.baseUrl ?? 'default'}, order: ${orderWord}`);
    for (const p of profilesInOrder(entry, pin, callOrder?.[entry.provider])) {
      const flags = profileFlags(p, pin, now);
      lines.push(`  - ${p.label} ${TYPE_WORDS[p.type]} ${p.masked}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`);
      const remedy = remedyOf(p);
      if (remedy) lines.push(`    ${remedy}`);
    }
    if (entry.env) lines.push(`  - env ${entry.env.var} ${entry.env.masked} (${entry.env.path !== null ? tildePath(entry.env.path, home) : entry.env.source})`);
    if (entry.profiles.length === 0 && !entry.env) lines.push(`  no credential. ${providerSpec(entry.provider)?.hint ?? ''}`.trimEnd());
    lines.push(`  Next call: ${nextCallLabel(entry, pin, now)}`);
  }
  for (const e of status.fileErrors) lines.push('', `File error: ${tildePath(e.path, home)}: ${e.message}`);
  return lines.join('\n');
}

/** The reply to a switch: the model set, and what credential the session now uses. */
export function renderSwitched(input: {
  view: SessionView;
  aliases: readonly string[];
  /** The pin the session had before, when this switch removed or replaced it. */
  previousPin: string | null;
  /** The pinned profile's status entry, to say when it cannot be used right now. */
  pinned?: ProfileStatusEntry | null;
  now: number;
}): string {
  const { view } = input;
  const lines = [`Model set to ${modelLabel(view.model, input.aliases)}${view.modelFromSession ? '' : " (the agent's default)"}.`];
  if (view.pin !== null) {
    const p = input.pinned;
    lines.push(`Pinned to ${view.pin}${p ? ` (${TYPE_WORDS[p.type]} ${p.masked})` : ''}: every call of this session uses it and never rotates to another.`);
    if (p && !usable(p)) {
      const flags = profileFlags(p, null, input.now).filter((f) => f !== 'next' && f !== 'lastGood');
      lines.push(`Note: ${view.pin} cannot be used right now (${flags.join(', ') || p.status}); calls fail until it can.`);
      const remedy = remedyOf(p);
      if (remedy) lines.push(`Fix: ${remedy}.`);
    }
    lines.push(`Unpin: /model ${input.aliases[0] ?? view.model} (without @).`);
  } else {
    if (input.previousPin !== null) lines.push(`The pin on ${input.previousPin} is removed.`);
    lines.push(`Credential: ${credentialLabel(null)} for ${view.provider}.`);
  }
  return lines.join('\n');
}

/** `/model <id>@x` where no profile x exists (OpenClaw's wording). */
export function profileNotFound(profileId: string): string {
  return `Auth profile "${profileId}" not found.`;
}

/** `/model anthropic/…@openai:x` (OpenClaw's wording). */
export function profileOfOtherProvider(profileId: string, profileProvider: string, modelProvider: string): string {
  return `Auth profile "${profileId}" is for ${profileProvider}, not ${modelProvider}.`;
}

/** `/model <n>` with no list stored, or out of its range. */
export function pickOutOfRange(index: number, listLength: number): string {
  return listLength === 0
    ? 'There is no numbered list in this session yet: send /model to see one, then /model <n>.'
    : `There is no model ${index} in the last list (it has 1 to ${listLength}): send /model to see it again.`;
}

/** `/help`. */
export function renderHelp(): string {
  return ['Commands:', ...KNOWN_COMMANDS.map((c) => `  ${c.usage}  ${c.does}`), 'Anything else is sent to the model.'].join('\n');
}

/** Any other `/word`: said so, never sent to the model by mistake. */
export function renderUnknownCommand(name: string): string {
  return `Unknown command /${name}. Known: /model (switch model or credential), /new (clear the conversation), /help.`;
}

/** `/new`. */
export function renderNewConversation(view: SessionView, cleared: boolean): string {
  return [
    cleared ? 'New conversation: the history of this session is cleared.' : 'New conversation (there was no history to clear).',
    `Model ${view.model} and credential ${credentialLabel(view.pin)} stay.`,
  ].join('\n');
}

/** What an I/O error that stopped a write means, for the errors a person can fix. */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EISDIR: 'it is a directory',
  EIO: 'an I/O error of the disk',
};

/** A sessions file that an I/O error (a full disk, a read-only file system) kept from being written. */
export function renderWriteFailed(file: string, code: string): string {
  return `${file} cannot be written: ${WRITE_ERRORS[code] ?? 'the system refused the write'} (${code}).`;
}

/** A session change that could not be saved (the file does not parse, is locked, or cannot be written). */
export function renderNotSaved(reason: string): string {
  return `Nothing changed: the session could not be saved. ${reason}`;
}
