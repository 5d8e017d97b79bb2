/** `opensoul models auth list` and `models auth order get`: one read each. */
import { methods } from '../../ipc/protocol.js';
import { agentParam, printOrder } from '../auth-common.js';
import { command, str } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { renderAuthList } from '../render/auth-list.js';

/** `models auth list`. */
export const list = command(async ({ env, opts }) => {
  const provider = str(opts, 'provider');
  const r = await callDaemon(methods.authList, { ...agentParam({ agent: str(opts, 'agent') }), ...(provider ? { provider } : {}) });
  if (env.json) printJson(r);
  else process.stdout.write(renderAuthList(r, env.style));
});

/** `models auth order get`. */
export const orderGet = command(async ({ env, opts }) => {
  printOrder(env, await callDaemon(methods.authOrderGet, { ...agentParam({ agent: str(opts, 'agent') }), provider: str(opts, 'provider') as string }));
});
