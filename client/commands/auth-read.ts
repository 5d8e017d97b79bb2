/** `opensoul models auth list` and `models auth order get`: one read each. */
import { methods } from '../../ipc/protocol.js';
import { agentParam, printOrder } from '../auth-common.js';
import { command, str } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { renderAuthList } from '../render/auth-list.js';
import { visibleStrings } from '../render/terminal-text.js';

/** `models auth list`. */
export const list = command(async ({ env, opts }) => {
  const provider = str(opts, 'provider');
  const r = await callDaemon(methods.authList, { ...agentParam({ agent: str(opts, 'agent') }), ...(provider ? { provider } : {}) });
  if (env.json) printJson(r);
  // Ids, labels and paths come from files a person (or another program) wrote: shown, never obeyed,
  // and a line feed in an id cannot make a line that looks like another profile's.
  else process.stdout.write(renderAuthList(visibleStrings(r), env.style));
});

/** `models auth order get`. */
export const orderGet = command(async ({ env, opts }) => {
  printOrder(env, await callDaemon(methods.authOrderGet, { ...agentParam({ agent: str(opts, 'agent') }), provider: str(opts, 'provider') as string }));
});
