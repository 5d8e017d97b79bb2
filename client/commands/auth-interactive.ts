/** `opensoul models auth setup-token` and `models auth add`: the commands that need a terminal (prompts). */
import { OpenSoulError } from '../../ipc/errors.js';
import { PROFILE_ID_PATTERN, PROVIDERS } from '../../ipc/providers.js';
import { freeProfileId, requireTerminal, rerunOf, storeApiKey, storeToken } from '../auth-common.js';
import { command, flag, str } from '../cli-context.js';
import { parseExpiresIn } from '../expiry.js';
import { usageError } from '../output.js';
import { promptSecret, shapeCheck } from '../secret-input.js';
import { findOnPath } from '../which.js';

/** `models auth setup-token`: runs `claude setup-token` when it can, then a masked prompt. */
export const setupToken = command(async ({ env, opts }) => {
  const agent = str(opts, 'agent');
  const o = {
    provider: str(opts, 'provider') as string,
    yes: flag(opts, 'yes'),
    expiresIn: str(opts, 'expiresIn') as string,
    force: flag(opts, 'force'),
    ...(agent !== undefined ? { agent } : {}),
  };
  if (o.provider !== 'anthropic')
    throw usageError(`setup-token is for --provider anthropic; for ${o.provider} use \`opensoul models auth paste-token --provider ${o.provider}\``);
  requireTerminal('setup-token', '`opensoul models auth paste-token --provider anthropic` with the token on stdin');
  const expires = parseExpiresIn(o.expiresIn);
  const out = process.stdout;
  if (findOnPath('claude')) {
    let run = o.yes === true;
    if (!run) {
      const { confirm, isCancel } = await import('@clack/prompts');
      const answer = await confirm({ message: 'Run `claude setup-token` now? It signs in with your Claude Pro/Max subscription and prints a token.' });
      if (isCancel(answer)) throw new OpenSoulError('INVALID_INPUT', { reason: 'cancelled; nothing was stored' });
      run = answer;
    }
    if (run) {
      // The terminal is handed over: claude runs its own sign-in in it.
      const { spawn } = await import('node:child_process');
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn('claude', ['setup-token'], { stdio: 'inherit' });
        child.once('error', () => resolve(null));
        child.once('exit', (c) => resolve(c));
      });
      if (code !== 0) out.write('`claude setup-token` did not finish cleanly; if it printed a token, you can still paste it.\n');
    }
  } else {
    out.write(
      'The `claude` CLI is not on PATH here. Run `claude setup-token` on any machine with Claude Code\n' +
        '(it needs a Claude Pro/Max subscription), then paste the token it prints.\n',
    );
  }
  const token = await promptSecret('Paste the setup-token (sk-ant-oat01-…)', shapeCheck('anthropic', 'token'));
  await storeToken(env, o, 'anthropic:default', token, expires, rerunOf('setup-token', o));
});

/** `models auth add`: provider, kind, id, expiry and secret, asked one by one. */
export const add = command(async ({ env, opts }) => {
  const agent = str(opts, 'agent');
  const o = { force: flag(opts, 'force'), ...(agent !== undefined ? { agent } : {}) };
  requireTerminal('models auth add', '`opensoul models auth paste-token` or `paste-api-key` with the secret on stdin');
  const p = await import('@clack/prompts');
  const cancelled = () => new OpenSoulError('INVALID_INPUT', { reason: 'cancelled; nothing was stored' });
  const provider = await p.select({ message: 'Provider', options: PROVIDERS.map((x) => ({ value: x.id, label: x.name, hint: x.id })) });
  if (p.isCancel(provider)) throw cancelled();
  const kind = await p.select({
    message: 'Kind',
    options: [
      { value: 'api_key', label: 'API key' },
      { value: 'token', label: 'Token (e.g. an Anthropic setup-token)' },
    ],
  });
  if (p.isCancel(kind)) throw cancelled();
  // Never an id the agent already holds: Enter on the default must not aim at an existing credential.
  const id = await p.text({
    message: 'Profile id',
    initialValue: await freeProfileId(provider, o.agent),
    validate: (v) => (v && PROFILE_ID_PATTERN.test(v) && v.startsWith(`${provider}:`) ? undefined : `expected ${provider}:<name>`),
  });
  if (p.isCancel(id)) throw cancelled();
  let expires: number | undefined;
  if (kind === 'token') {
    const e = await p.text({
      message: 'Expires in (365d, 12h, 1h30m or never)',
      initialValue: provider === 'anthropic' ? '365d' : 'never',
      validate: (v) => {
        try {
          parseExpiresIn(v ?? '');
          return undefined;
        } catch (err) {
          return err instanceof Error ? err.message : 'invalid';
        }
      },
    });
    if (p.isCancel(e)) throw cancelled();
    expires = parseExpiresIn(e);
  }
  const secret = await promptSecret(kind === 'token' ? 'Paste the token' : 'Paste the API key', shapeCheck(provider, kind));
  const rerun = rerunOf('add', o);
  if (kind === 'token') await storeToken(env, o, id, secret, expires, rerun);
  else await storeApiKey(env, o, id, secret, rerun);
});
