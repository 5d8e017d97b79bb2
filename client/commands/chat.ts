/**
 * `opensoul chat [--session id] [--agent id] [--model ref]` (§7): the REPL (readline on a terminal only)
 * is client/chat/repl.ts; the flags and help are in the command table.
 */
import { runChat } from '../chat/repl.js';
import { command, str } from '../cli-context.js';

/** `chat`. */
export const chat = command(({ env, opts }) => {
  const session = str(opts, 'session');
  const agent = str(opts, 'agent');
  const model = str(opts, 'model');
  return runChat(env, { ...(session !== undefined ? { session } : {}), ...(agent !== undefined ? { agent } : {}), ...(model !== undefined ? { model } : {}) });
});
