/** `opensoul models auth paste-token | paste-api-key | remove | order set | order clear`: one write each. */
import { methods } from '../../ipc/protocol.js';
import { providerSpec } from '../../ipc/providers.js';
import { agentParam, printOrder, printWrite, profileIdFor, rerunOf, storeApiKey, storeToken } from '../auth-common.js';
import { command, flag, str } from '../cli-context.js';
import type { Opts } from '../cli/parse.js';
import { callDaemon } from '../connection.js';
import { parseExpiresIn } from '../expiry.js';
import { printJson, usageError } from '../output.js';
import { tildePath } from '../render/format.js';
import { readSecret, shapeCheck } from '../secret-input.js';
import { writeConfirmingReplace } from '../write-conflict.js';

/** The options the writes share. */
function common(o: Opts): { provider: string; profileId?: string; agent?: string; force: boolean } {
  const profileId = str(o, 'profileId');
  const agent = str(o, 'agent');
  return {
    provider: str(o, 'provider') as string,
    force: flag(o, 'force'),
    ...(profileId !== undefined ? { profileId } : {}),
    ...(agent !== undefined ? { agent } : {}),
  };
}

/** `models auth paste-token`. */
export const pasteToken = command(async ({ env, opts }) => {
  const o = common(opts);
  const expiresIn = str(opts, 'expiresIn');
  const profileId = profileIdFor(o.provider, o.profileId, 'manual');
  const expires = expiresIn ? parseExpiresIn(expiresIn) : undefined;
  const token = await readSecret('token', shapeCheck(o.provider, 'token'));
  await storeToken(env, o, profileId, token, expires, rerunOf('paste-token', o, expiresIn ? ` --expires-in ${expiresIn}` : ''));
});

/** `models auth paste-api-key`, into a profile or (`--target env`) the state dir's .env. */
export const pasteApiKey = command(async ({ env, opts }) => {
  const o = common(opts);
  const target = str(opts, 'target');
  if (target !== 'profile' && target !== 'env') throw usageError(`--target expects profile or env, got "${String(target)}"`);
  if (target === 'env') {
    const name = providerSpec(o.provider)?.envVars[0];
    if (!name) throw usageError(`no env var is known for provider "${o.provider}"; use --target profile`);
    const key = await readSecret('API key', shapeCheck(o.provider, 'api_key'));
    const r = await writeConfirmingReplace((replace) => callDaemon(methods.envSet, { key: name, value: key, replace }), {
      force: o.force,
      json: env.json,
      rerun: `opensoul models auth paste-api-key --provider ${o.provider} --target env`,
    });
    printWrite(env, r, name, 'API key');
    return;
  }
  const profileId = profileIdFor(o.provider, o.profileId, 'manual');
  const key = await readSecret('API key', shapeCheck(o.provider, 'api_key'));
  await storeApiKey(env, o, profileId, key, rerunOf('paste-api-key', o));
});

/** `models auth remove <profileId>` (OpenClaw: `logout`). */
export const remove = command(async ({ env, opts, args }) => {
  const profileId = args[0] as string;
  const r = await callDaemon(methods.authRemove, { ...agentParam({ agent: str(opts, 'agent') }), profileId });
  if (env.json) {
    printJson(r);
    return;
  }
  process.stdout.write(`Removed ${profileId} from agent ${r.agent}\n`);
  for (const f of r.files ?? [r.path]) process.stdout.write(`  changed ${tildePath(f)}\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
});

/** `models auth order set <ids...>`. */
export const orderSet = command(async ({ env, opts, args }) => {
  printOrder(
    env,
    await callDaemon(methods.authOrderSet, { ...agentParam({ agent: str(opts, 'agent') }), provider: str(opts, 'provider') as string, order: args }),
  );
});

/** `models auth order clear`. */
export const orderClear = command(async ({ env, opts }) => {
  printOrder(env, await callDaemon(methods.authOrderClear, { ...agentParam({ agent: str(opts, 'agent') }), provider: str(opts, 'provider') as string }));
});
