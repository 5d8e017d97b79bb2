/**
 * The owner of sessions (§8.3): each session's model and pinned credential (on disk, so pins
 * survive restarts), its conversation (in memory, bounded) and the chat commands that change
 * them. It knows nothing of the gateway's state: what it needs — paths, aliases, the agent's
 * default model, providers, profiles, status — comes through {@link SessionDeps}, so the RPC
 * handlers wire it and tests drive it with plain values.
 *
 * A user pin is locked: the session's calls use that profile and never rotate to another. A pin
 * whose profile was removed (or no longer matches the session's provider) is dropped, with a
 * note returned once, and the file is updated.
 */
import { own } from '../../ipc/dict.js';
import { OpenSoulError } from '../../ipc/errors.js';
import type { ModelsStatusResult, ProfileStatusEntry } from '../../ipc/protocol.js';
import { DEFAULT_MODEL } from '../../ipc/providers.js';
import { parseChatLine } from './model-command.js';
import { buildModelList } from './model-list.js';
import { effectiveAliases, resolveConfiguredRef, resolveModelRef } from './model-ref.js';
import type { ChatMessage } from './session-history.js';
import { SessionHistory } from './session-history.js';
import type { HistoryLimits } from './session-history.js';
import {
  pickOutOfRange,
  profileNotFound,
  profileOfOtherProvider,
  renderHelp,
  renderModelList,
  renderModelStatus,
  renderNewConversation,
  renderNotSaved,
  renderSwitched,
  renderUnknownCommand,
  renderWriteFailed,
} from './session-replies.js';
import { tildePath } from '../../ipc/tilde-path.js';
import { describePrune, PRUNE_BUDGET_BYTES } from './session-retention.js';
import { SessionStore, sessionIdProblem } from './session-store.js';
import type { SessionView } from './session-view.js';

/** What the service needs from the gateway; every function is called at the time of use, so config reloads apply at once. */
export interface SessionDeps {
  /** `agents/<agent>/sessions/sessions.json` (`paths.sessions`). */
  sessionsPath(agent: string): string;
  /** Config aliases (alias → model ref); the built-in ones are added here, config's win. */
  aliases(): Readonly<Record<string, string>>;
  /** The agent's default model (`provider/model` or an alias), or null for the built-in default. */
  defaultModel(agent: string): string | null;
  /** The agent's fallback models, listed by `/model`. */
  fallbacks?(agent: string): readonly string[];
  /** Every provider id a model may name (built-in and configured). */
  knownProviders(): readonly string[];
  /** The agent's profiles (its own and those read through from `main`), by id. */
  profiles(agent: string): Readonly<Record<string, { provider: string }>>;
  /** `models.status` of the agent, computed with the session's pin and model (a model-scoped cooldown) so that `next` is right. */
  status(agent: string, pin: string | undefined, model?: string): ModelsStatusResult;
  /** The profile ids of a provider in the order a call would try them (with the pin and model); optional, for `/model status`. */
  callOrder?(agent: string, provider: string, pin: string | undefined, model?: string): readonly string[];
  now(): number;
  /** A warning for the log (a sessions file that does not parse, a pin that could not be dropped). Never holds a secret. */
  warn?(message: string): void;
  /** An info line for the log (a sessions file pruned to make room). Never holds a secret. */
  info?(message: string, meta: Record<string, unknown>): void;
}

/** The result of a chat line. */
export interface CommandResult {
  /**
   * The reply text, the session's notes first; empty when the line is not a command (the caller
   * then shows `session.notes` itself, e.g. before the model's answer).
   */
  reply: string;
  /** False: the line is not a command, the caller sends it to the model as a message. */
  handled: boolean;
  /** False when the command was refused (an unknown model or profile, a profile of another provider, an unknown command). */
  ok: boolean;
  /** The session after the command (its `notes` are already part of `reply`). */
  session: SessionView;
}

/** Test seams: a shared store (two services over one file, as after a restart), other history limits. */
export interface SessionServiceOptions {
  store?: SessionStore;
  historyLimits?: Readonly<HistoryLimits>;
}

const keyOf = (agent: string, sessionId: string, pin: string) => `${agent}\u0000${sessionId}\u0000${pin}`;

/** Sessions of every agent: their model, pin and conversation, and the chat commands that change them. */
export class SessionService {
  private readonly store: SessionStore;
  private readonly conversations: SessionHistory;
  /** Pins being dropped (or whose drop failed), so the note is given once and the write made once. */
  private readonly dropping = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: SessionDeps,
    opts: SessionServiceOptions = {},
  ) {
    this.store =
      opts.store ??
      new SessionStore({
        warn: (_file, message) => deps.warn?.(message),
        // Counts and sizes only: session ids name people (a chat user), and the log needs none to explain itself.
        pruned: (file, o) =>
          deps.info?.(`sessions file pruned to stay under its limit: ${describePrune(o)}`, {
            path: file,
            pickerLists: o.lists,
            sessionsWithoutModelOrPin: o.empty,
            unpinnedSessionsWithModel: o.models,
            bytesBefore: o.bytesBefore,
            bytesAfter: o.bytesAfter,
            budgetBytes: PRUNE_BUDGET_BYTES,
          }),
      });
    this.conversations = new SessionHistory(opts.historyLimits);
  }

  /** The session as a message would use it now; a pin whose profile is gone is dropped here (note returned once). */
  view(agent: string, sessionId: string): SessionView {
    checkId(sessionId);
    // A use: pruning, when the file grows, goes by last use, so the sessions in use stay.
    const record = this.store.get(this.deps.sessionsPath(agent), sessionId, this.deps.now());
    const model = record?.model ?? this.defaultRef(agent);
    const provider = model.slice(0, model.indexOf('/'));
    const notes: string[] = [];
    let pin = record?.pin ?? null;
    if (pin !== null) {
      const profile = own(this.deps.profiles(agent), pin);
      if (!profile || profile.provider !== provider) {
        const note = !profile
          ? `The pinned profile ${pin} was removed; using the agent's order again.`
          : `The pinned profile ${pin} is for ${profile.provider}, not ${provider}; using the agent's order again.`;
        if (this.dropPin(agent, sessionId, pin)) notes.push(note);
        pin = null;
      }
    }
    return { id: sessionId, agent, model, provider, modelFromSession: (record?.model ?? null) !== null, pin, notes };
  }

  /** Handles one chat line: a command gets its reply; any other line is `handled: false`, for the model. */
  async command(agent: string, sessionId: string, line: string): Promise<CommandResult> {
    const before = this.view(agent, sessionId);
    const cmd = parseChatLine(line);
    let reply: string;
    // Whether the command did what it asked (a refused switch, an unknown command: not).
    let ok = true;
    const refused = (text: string): string => {
      ok = false;
      return text;
    };
    switch (cmd.kind) {
      case 'not-command':
        return { reply: '', handled: false, ok: true, session: before };
      case 'help':
        reply = renderHelp();
        break;
      case 'unknown-command':
        reply = refused(renderUnknownCommand(cmd.name));
        break;
      case 'new':
        reply = renderNewConversation(before, this.conversations.clear(agent, sessionId));
        break;
      case 'model-invalid':
        reply = refused(cmd.reply);
        break;
      case 'model-list':
        reply = await this.list(agent, sessionId, before);
        break;
      case 'model-status':
        reply = this.statusReply(agent, before);
        break;
      case 'model-pick': {
        const list = this.store.get(this.deps.sessionsPath(agent), sessionId)?.modelList ?? [];
        const ref = list[cmd.index - 1];
        const switched =
          ref === undefined ? { text: pickOutOfRange(cmd.index, list.length), ok: false } : await this.switchTo(agent, sessionId, before, ref, cmd.profile);
        reply = switched.ok ? switched.text : refused(switched.text);
        break;
      }
      case 'model-set': {
        const switched = await this.switchTo(agent, sessionId, before, cmd.ref, cmd.profile);
        reply = switched.ok ? switched.text : refused(switched.text);
        break;
      }
    }
    const after = this.view(agent, sessionId);
    const notes = [...before.notes, ...after.notes];
    return { reply: [...notes, reply].join('\n'), handled: true, ok, session: { ...after, notes } };
  }

  /** The session's conversation, oldest first. */
  history(agent: string, sessionId: string): ChatMessage[] {
    return this.conversations.get(agent, sessionId);
  }

  /** Adds messages (a user message and the model's answer) to the conversation, dropping the oldest past the limits. */
  appendTurn(agent: string, sessionId: string, ...messages: ChatMessage[]): void {
    checkId(sessionId);
    this.conversations.append(agent, sessionId, messages);
  }

  /** Forgets the conversation; true when there was one. */
  clearHistory(agent: string, sessionId: string): boolean {
    return this.conversations.clear(agent, sessionId);
  }

  /** Resolves once every background write (dropped pins) has landed; for shutdown and tests. */
  async idle(): Promise<void> {
    await Promise.all([...this.dropping.values()]);
  }

  private defaultRef(agent: string): string {
    const configured = this.deps.defaultModel(agent) ?? DEFAULT_MODEL;
    return resolveConfiguredRef(configured, this.aliases()) ?? DEFAULT_MODEL;
  }

  private aliases(): Record<string, string> {
    return effectiveAliases(this.deps.aliases());
  }

  private aliasesOf(ref: string): string[] {
    const aliases = this.aliases();
    return Object.keys(aliases)
      .filter((a) => resolveConfiguredRef(aliases[a] as string, aliases) === ref)
      .sort();
  }

  /** Starts dropping a stale pin from the file; false when that drop was already started (its note given). */
  private dropPin(agent: string, sessionId: string, pin: string): boolean {
    const key = keyOf(agent, sessionId, pin);
    if (this.dropping.has(key)) return false;
    const file = this.deps.sessionsPath(agent);
    const write = this.store.update(file, sessionId, { pin: null }, this.deps.now()).then(
      // Landed: the file no longer has the pin, so the key can go (a later pin of the same id is noticed again).
      () => void this.dropping.delete(key),
      // Kept: the note is not repeated on every message while the file cannot be written.
      (err: unknown) => {
        const code = errnoOf(err);
        const why = err instanceof OpenSoulError ? err.message : code !== null ? renderWriteFailed(file, code) : 'write failed';
        this.deps.warn?.(`the removed profile ${pin} could not be unpinned from session ${sessionId} in ${file}: ${why}`);
      },
    );
    this.dropping.set(key, write);
    return true;
  }

  /** Saves a change; null when it landed, else why not, in words (a refusal, or an I/O error such as a full disk: the daemon goes on). */
  private async save(agent: string, sessionId: string, patch: Parameters<SessionStore['update']>[2]): Promise<string | null> {
    const file = this.deps.sessionsPath(agent);
    try {
      await this.store.update(file, sessionId, patch, this.deps.now());
      return null;
    } catch (err) {
      if (err instanceof OpenSoulError) return err.message;
      const code = errnoOf(err);
      if (code === null) throw err;
      this.deps.warn?.(renderWriteFailed(file, code));
      // The reply names the file as every view does, `~/…`; the log keeps the full path.
      return renderWriteFailed(tildePath(file), code);
    }
  }

  private async list(agent: string, sessionId: string, view: SessionView): Promise<string> {
    const items = buildModelList({
      defaultModel: this.defaultRef(agent),
      fallbacks: this.deps.fallbacks?.(agent) ?? [],
      aliases: this.aliases(),
      current: view.model,
      knownProviders: this.deps.knownProviders(),
    });
    const refs = items.map((i) => i.ref);
    const stored = this.store.get(this.deps.sessionsPath(agent), sessionId)?.modelList ?? null;
    let failure: string | null = null;
    if (stored === null || stored.length !== refs.length || stored.some((r, i) => r !== refs[i])) {
      failure = await this.save(agent, sessionId, { modelList: refs });
    }
    const exampleProfile =
      Object.entries(this.deps.profiles(agent))
        .filter(([, p]) => p.provider === view.provider)
        .map(([id]) => id)
        .sort()[0] ?? null;
    const text = renderModelList({ view, items, exampleProfile });
    return failure === null ? text : `${text}\n(The numbers could not be saved, so /model <n> will not work: ${failure})`;
  }

  private statusReply(agent: string, view: SessionView): string {
    const pin = view.pin ?? undefined;
    const status = this.deps.status(agent, pin, view.model);
    const deps = this.deps;
    const order = deps.callOrder
      ? Object.fromEntries(
          status.providers.map((p) => [
            p.provider,
            deps.callOrder?.(agent, p.provider, p.provider === view.provider ? pin : undefined, p.provider === view.provider ? view.model : undefined) ?? [],
          ]),
        )
      : undefined;
    return renderModelStatus({ view, defaultModel: this.defaultRef(agent), status, ...(order ? { order } : {}) });
  }

  private async switchTo(
    agent: string,
    sessionId: string,
    before: SessionView,
    input: string,
    profileId: string | null,
  ): Promise<{ text: string; ok: boolean }> {
    const no = (text: string) => ({ text, ok: false });
    const resolved = resolveModelRef(input, this.aliases(), this.deps.knownProviders());
    if (!resolved.ok) return no(resolved.reply);
    const model = resolved.model;
    if (profileId !== null) {
      const profile = own(this.deps.profiles(agent), profileId);
      if (!profile) return no(profileNotFound(profileId));
      if (profile.provider !== model.provider) return no(profileOfOtherProvider(profileId, profile.provider, model.provider));
      // A fresh pin of an id dropped before is noticed again if its profile goes away again.
      this.dropping.delete(keyOf(agent, sessionId, profileId));
    }
    // The default model is stored as no override (as OpenClaw does), so a later change of the default applies.
    const failure = await this.save(agent, sessionId, { model: model.ref === this.defaultRef(agent) ? null : model.ref, pin: profileId });
    if (failure !== null) return no(renderNotSaved(failure));
    const after = this.view(agent, sessionId);
    let pinned: ProfileStatusEntry | null = null;
    if (after.pin !== null) {
      const status = this.deps.status(agent, after.pin);
      pinned = status.providers.find((p) => p.provider === model.provider)?.profiles.find((p) => p.id === after.pin) ?? null;
    }
    const text = renderSwitched({
      view: after,
      aliases: this.aliasesOf(model.ref),
      previousPin: before.pin !== null && before.pin !== after.pin ? before.pin : null,
      pinned,
      now: this.deps.now(),
    });
    return { text, ok: true };
  }
}

/** The errno code of a failed file system call (`ENOSPC`), or null for any other error. */
function errnoOf(err: unknown): string | null {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

function checkId(sessionId: string): void {
  const problem = sessionIdProblem(sessionId);
  if (problem !== null) throw new OpenSoulError('INVALID_INPUT', { reason: problem });
}
