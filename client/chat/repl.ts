/**
 * `opensoul chat` (§7, §8.3): a line REPL over one connection. `/…` lines go to
 * `session.command` (the daemon answers `/model …`; what it does not handle is sent as a
 * message), other lines to `chat.send`, whose reply streams back as `chat.event` notifications
 * and is printed as it arrives. Ctrl-C cancels the running turn over a second connection (the
 * first is busy with `chat.send`: the daemon answers one request per connection at a time).
 */
import type { Interface as ReadlineInterface } from 'node:readline';
import type { Connection } from '../../ipc/client.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { CHAT_EVENT_METHOD, methods } from '../../ipc/protocol.js';
import type { ChatEvent, ChatSendResult, SessionCommandResult } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { connectToDaemon } from '../connection.js';
import { FailoverNotes, turnFooter } from '../render/chat-turn.js';
import { colorEnabled, makeStyle } from '../render/style.js';
import type { Style } from '../render/style.js';
import { forTerminal, jsonLine } from '../render/terminal-text.js';

export interface ChatOptions {
  session?: string;
  agent?: string;
  /** A `/model` argument to send before the first line (`sonnet`, `openai/gpt-4o`, `sonnet@anthropic:work`). */
  model?: string;
}

/** The session used when none is named. */
export const DEFAULT_SESSION = 'main';

/** After a cancel, how long the daemon gets to end the turn before the connection is dropped (it then aborts the turn itself). */
const CANCEL_GRACE_MS = 10_000;

/**
 * Turn ids only tell this process's turns apart (the daemon keys a turn by agent and session and
 * checks its id on cancel), so a counter does it; not node:crypto, whose loading was the largest
 * part of `chat`'s start-up (~21M instructions, a quarter of `node -e 0`).
 */
let turnSeq = 0;
const nextTurnId = () => `turn-${process.pid.toString(36)}-${Date.now().toString(36)}-${(++turnSeq).toString(36)}`;

/** Exit codes of a REPL left by a signal, as a shell reports them. */
const EXIT_SIGINT = 130;
const EXIT_SIGTERM = 143;
const EXIT_SIGHUP = 129;

/**
 * Text that is not ours (a reply, a provider's error, a name from a file) as it may go to
 * `stream`: on a terminal, with its control characters shown, never obeyed.
 */
function shown(text: string, stream: NodeJS.WriteStream): string {
  return stream.isTTY ? forTerminal(text) : text;
}

interface Turn {
  id: string;
  cancelled: boolean;
  notes: FailoverNotes;
  /** Delta text was printed (so the result's reply is not printed again). */
  streamed: boolean;
}

class ChatRepl {
  private conn: Connection | null = null;
  private turn: Turn | null = null;
  /** Whether stdout's last character ended a line: notes and the footer start on a line of their own. */
  private atLineStart = true;
  /** A turn or command failed: a script (stdin not a terminal) ends with 1. */
  private failed = false;
  private readonly session: string;
  private readonly note: Style;

  constructor(
    private readonly env: ActionEnv,
    private readonly o: ChatOptions,
    private readonly leave: (code: number) => void,
  ) {
    this.session = o.session ?? DEFAULT_SESSION;
    this.note = makeStyle(!env.json && colorEnabled(process.stderr));
  }

  /** The params every call names the session with. */
  private target(): { agent?: string; session: string } {
    return { ...(this.o.agent ? { agent: this.o.agent } : {}), session: this.session };
  }

  /** The connection, made on first use and again after one was lost (a gateway restart) or dropped. */
  private async connection(): Promise<Connection> {
    if (!this.conn?.isOpen) this.conn = await connectToDaemon({ onPush: (method, params) => this.onPush(method, params) });
    return this.conn;
  }

  /** Connects before the first line: a gateway that cannot be reached ends the command (exit 3) instead of failing every line. */
  async open(): Promise<void> {
    await this.connection();
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }

  private out(text: string): void {
    if (text === '') return;
    process.stdout.write(text);
    this.atLineStart = text.endsWith('\n');
  }

  /** Ends a half-printed reply's line, so what follows starts on its own. */
  private newline(): void {
    if (!this.atLineStart) this.out('\n');
  }

  private noteLine(text: string): void {
    if (this.env.json) return;
    this.newline();
    process.stderr.write(`${this.note.dim(shown(text, process.stderr))}\n`);
  }

  private errorLine(err: unknown): void {
    this.failed = true;
    const e = err instanceof OpenSoulError ? err : new OpenSoulError('INTERNAL', {}, `unexpected error: ${err instanceof Error ? err.name : 'unknown'}`);
    if (this.env.json) {
      this.out(`${jsonLine({ error: { code: e.kind, message: e.message } })}\n`);
      return;
    }
    this.newline();
    process.stderr.write(`opensoul: ${shown(e.message, process.stderr)}\n`);
  }

  /** A `chat.event` of the running turn: deltas straight to stdout, failovers as a note. */
  private onPush(method: string, params: unknown): void {
    const t = this.turn;
    if (method !== CHAT_EVENT_METHOD || !t || t.cancelled || typeof params !== 'object' || params === null) return;
    const ev = params as ChatEvent;
    if (ev.turnId !== t.id) return;
    if (ev.type === 'delta') {
      if (this.env.json || typeof ev.text !== 'string') return;
      t.streamed = true;
      this.out(shown(ev.text, process.stdout));
      return;
    }
    const note = t.notes.onEvent(ev);
    if (note) this.noteLine(note);
  }

  private async command(line: string): Promise<SessionCommandResult> {
    const c = await this.connection();
    return c.call(methods.sessionCommand, { ...this.target(), line });
  }

  private printReply(r: SessionCommandResult): void {
    if (this.env.json) this.out(`${jsonLine({ reply: r.reply, session: r.session })}\n`);
    else {
      const reply = shown(r.reply, process.stdout);
      this.out(reply.endsWith('\n') || reply === '' ? reply : `${reply}\n`);
    }
  }

  /** `--model ref`: sent as `/model ref` before the first line; its reply is printed only when it was refused. */
  async switchModel(ref: string): Promise<void> {
    try {
      const r = await this.command(`/model ${ref}`);
      if (r.ok) return;
      this.failed = true;
      if (this.env.json) this.printReply(r);
      else process.stderr.write(`opensoul: --model ${shown(`${ref}: ${r.reply.trim()}`, process.stderr)}\n`);
    } catch (err) {
      this.errorLine(err);
    }
  }

  /** One line of input; false when it asks to leave. */
  async handle(raw: string): Promise<boolean> {
    const line = raw.trim();
    if (line === '') return true;
    // Case-insensitive, as the gateway's commands are (`/MODEL`): `/EXIT` must not be an unknown command.
    const word = line.toLowerCase();
    if (word === '/exit' || word === '/quit') return false;
    if (line.startsWith('/')) {
      try {
        const r = await this.command(line);
        if (r.handled) {
          // A refused command (an unknown model or profile) fails a script, as a failed turn does.
          if (!r.ok) this.failed = true;
          this.printReply(r);
          return true;
        }
      } catch (err) {
        this.errorLine(err);
        return true;
      }
    }
    await this.send(line);
    return true;
  }

  private async send(message: string): Promise<void> {
    const t: Turn = { id: nextTurnId(), cancelled: false, notes: new FailoverNotes(), streamed: false };
    this.turn = t;
    try {
      const c = await this.connection();
      // No request time limit: the daemon bounds a turn (and a cancel ends it).
      const r = await c.call(methods.chatSend, { ...this.target(), message, turnId: t.id }, { timeoutMs: Number.POSITIVE_INFINITY });
      this.finish(t, r);
    } catch (err) {
      // A turn we cancelled and then gave up waiting for: the "(cancelled)" line said it all.
      if (!t.cancelled) this.errorLine(err);
    } finally {
      this.turn = null;
    }
  }

  private finish(t: Turn, r: ChatSendResult): void {
    // Cancelled, but not by our Ctrl-C: the gateway ended the turn (it is stopping or
    // restarting). The reply is cut short, and a script must not take it for an answer.
    const cutShort = r.cancelled && !t.cancelled;
    if (cutShort) this.failed = true;
    if (this.env.json) {
      this.out(`${jsonLine(r)}\n`);
      return;
    }
    if (t.cancelled) return;
    if (!t.streamed) this.out(shown(r.reply, process.stdout));
    const left = t.notes.flush();
    if (left) this.noteLine(left);
    for (const note of r.notes ?? []) this.noteLine(note);
    this.newline();
    this.out(`${this.env.style.dim(shown(turnFooter(r), process.stdout))}\n`);
    if (cutShort) process.stderr.write('opensoul: the gateway ended this turn before the reply was complete (it stopped or restarted); send the line again\n');
  }

  /** Ctrl-C: the first cancels the running turn; a second (same turn, or at the prompt) leaves with 130. */
  interrupt(): void {
    const t = this.turn;
    if (!t || t.cancelled) {
      this.leave(EXIT_SIGINT);
      return;
    }
    t.cancelled = true;
    if (!this.env.json) {
      this.newline();
      this.out(`${this.env.style.dim('(cancelled)')}\n`);
    }
    void this.cancelOnSecondConnection(t.id);
    // A daemon that does not end the turn soon: drop the busy connection (the daemon aborts a
    // turn whose client went away) so the prompt comes back; the next line connects again.
    setTimeout(() => {
      if (this.turn === t) this.close();
    }, CANCEL_GRACE_MS).unref();
  }

  private async cancelOnSecondConnection(turnId: string): Promise<void> {
    try {
      const c = await connectToDaemon({ quiet: true, requestTimeoutMs: 5000 });
      try {
        await c.call(methods.chatCancel, { ...this.target(), turnId });
      } finally {
        c.close();
      }
    } catch {
      // The turn may have ended meanwhile, or the daemon gone; the grace timer still frees the prompt.
    }
  }

  /** Exit code at the end of input: 1 when a script's turn failed, else 0. */
  exitCode(interactive: boolean): number {
    return !interactive && this.failed ? 1 : 0;
  }

  /** The first line a person sees. */
  banner(): string {
    // The id is the caller's, not yet checked by the gateway (it refuses control characters at the first line): shown, never obeyed.
    const session = shown(this.session, process.stdout);
    return this.env.style.dim(`opensoul chat — session ${session}. /model to see or switch models, /exit to leave; Ctrl-C cancels a reply.`);
  }
}

/**
 * The lines of a script's stdin (not a terminal), split as readline splits them (`\n`, `\r\n`
 * or a lone `\r`; a last line without a newline still counts). readline itself is loaded only
 * for a terminal: for a pipe it is line splitting, and loading it cost ~15M instructions.
 */
export async function* scriptLines(input: AsyncIterable<string | Buffer>): AsyncGenerator<string, void, undefined> {
  let buf = '';
  for await (const chunk of input) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === '\n' || (c === '\r' && i + 1 < buf.length)) {
        yield buf.slice(start, i);
        if (c === '\r' && buf[i + 1] === '\n') i++;
        start = i + 1;
      }
    }
    // A trailing \r waits for the next chunk: it may be the first half of \r\n.
    buf = buf.slice(start);
  }
  if (buf !== '') yield buf.endsWith('\r') ? buf.slice(0, -1) : buf;
}

/** Runs the REPL until end of input, `/exit`, a second Ctrl-C or SIGTERM; returns the exit code. */
export async function runChat(env: ActionEnv, o: ChatOptions): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  let rl: ReadlineInterface | null = null;
  let lines: AsyncIterator<string>;
  if (interactive) {
    const readline = await import('node:readline');
    rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ', terminal: true });
    // Taken now: lines read before the iterator exists would be lost.
    lines = rl[Symbol.asyncIterator]();
  } else {
    process.stdin.setEncoding('utf8');
    lines = scriptLines(process.stdin);
  }
  let leaving: ((code: number) => void) | null = null;
  const left = new Promise<number>((resolve) => (leaving = resolve));
  const repl = new ChatRepl(env, o, (code) => leaving?.(code));
  const onSigint = () => repl.interrupt();
  const onSigterm = () => leaving?.(EXIT_SIGTERM);
  const onSighup = () => leaving?.(EXIT_SIGHUP);
  // On a terminal readline reads Ctrl-C itself (raw mode) and says so on `rl`; elsewhere it is a signal.
  rl?.on('SIGINT', onSigint);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);

  const loop = (async (): Promise<number> => {
    await repl.open();
    if (interactive) process.stdout.write(`${repl.banner()}\n`);
    if (o.model) await repl.switchModel(o.model);
    for (;;) {
      rl?.prompt();
      const next = await lines.next();
      if (next.done) {
        if (interactive) process.stdout.write('\n');
        break;
      }
      if (!(await repl.handle(next.value))) break;
    }
    return repl.exitCode(interactive);
  })();
  let code: number;
  try {
    code = await Promise.race([loop, left]);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('SIGHUP', onSighup);
    repl.close();
    if (rl) rl.close();
    else process.stdin.destroy();
  }
  // Left mid-turn by a signal: nothing else is waited for (the daemon aborts the turn of a closed connection).
  if (code === EXIT_SIGINT || code === EXIT_SIGTERM || code === EXIT_SIGHUP) {
    if (interactive) process.stdout.write('\n');
    process.exit(code);
  }
  return code;
}
