/**
 * `opensoul chat [--session id] [--agent id] [--model ref]` (§7): the command line only; the REPL
 * (readline, crypto) is loaded when it runs (client/chat/repl.ts).
 */
import type { Command } from 'commander';
import { action } from '../cli-context.js';
import type { ChatOptions } from '../chat/repl.js';

const EXAMPLES = `
In the chat:
  /model                        the current model and a numbered list to pick from
  /model status                 every provider's credentials, in the order they are tried
  /model sonnet                 switch this session's model (clears a pin)
  /model sonnet@anthropic:work  switch and pin that credential for this session
  /exit, /quit, Ctrl-D          leave
  Ctrl-C                        cancel the reply being written; again to leave (exit 130)

Each reply ends with a line naming the model and the credential that answered, and any that
failed over before it. Not on a terminal, lines are read from stdin (no prompt), so it scripts:
  printf '%s\\n' '/model sonnet' 'Say hi' | opensoul chat
Exit code: 0; 1 when reading a script and any line failed; 130 after Ctrl-C, 143 on SIGTERM.
--json: one JSON line per turn (the whole result: reply, model, credential, attempts), one
{reply, session} line per command, {error: {code, message}} for a failure; no streamed text.

Examples:
  opensoul chat
  opensoul chat --session work --model openai/gpt-4o
  opensoul chat --model sonnet@anthropic:work`;

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('talk to a model through the gateway: /model commands and messages, one per line')
    .option('--session <id>', 'the session: its model and pin persist across runs (default: main)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--model <ref>', 'switch the session first, as `/model <ref>` (`sonnet`, `openai/gpt-4o`, `sonnet@anthropic:work`)')
    .option('--json', 'JSON lines: one result per turn, no streamed text (see below)')
    .addHelpText('after', EXAMPLES)
    .action(
      action(async (env, o: ChatOptions & { json?: boolean }) => {
        const { runChat } = await import('../chat/repl.js');
        const { json: _json, ...opts } = o;
        return runChat(env, opts);
      }),
    );
}
