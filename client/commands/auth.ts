/**
 * `opensoul models auth …` (§7): every command is one RPC to the daemon, the only writer of
 * credential files; each prints the file it wrote. Secrets come from stdin or a masked prompt.
 */
import type { Command } from 'commander';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import type { AuthOrderResult, AuthUpsertParams, WriteResult } from '../../ipc/protocol.js';
import { PROFILE_ID_PATTERN, PROVIDERS, anthropicTokenProblem, providerSpec } from '../../ipc/providers.js';
import { action } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { parseExpiresIn } from '../expiry.js';
import { printJson, usageError } from '../output.js';
import { formatDuration, formatTime, tildePath } from '../render/format.js';
import { isInteractive, promptSecret, readSecret } from '../secret-input.js';
import { findOnPath } from '../which.js';

interface AgentOpt {
  agent?: string;
}

const agentParam = (o: AgentOpt) => (o.agent ? { agent: o.agent } : {});

function profileIdFor(provider: string, given: string | undefined, fallbackName: string): string {
  const id = given ?? `${provider}:${fallbackName}`;
  if (!PROFILE_ID_PATTERN.test(id)) throw usageError(`--profile-id expects <provider>:<name> such as ${provider}:work, got "${id}"`);
  if (!id.startsWith(`${provider}:`)) throw usageError(`--profile-id ${id} does not belong to --provider ${provider}`);
  return id;
}

function tokenCheck(provider: string) {
  return (token: string) => (provider === 'anthropic' ? (anthropicTokenProblem(token) ?? undefined) : undefined);
}

function printWrite(env: ActionEnv, r: WriteResult, what: string): void {
  if (env.json) {
    printJson(r);
    return;
  }
  process.stdout.write(`${r.changed ? what : `${what} (unchanged)`} in ${tildePath(r.path)}\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}

async function storeToken(env: ActionEnv, o: AgentOpt, profileId: string, token: string, expires: number | undefined): Promise<void> {
  const params: AuthUpsertParams = { ...agentParam(o), profileId, credential: { type: 'token', token, ...(expires !== undefined ? { expires } : {}) }, replace: true };
  const r = await callDaemon(methods.authUpsert, params);
  const until = expires !== undefined ? `, expires ${formatTime(expires)}, in ${formatDuration(expires - Date.now())}` : ', no expiry';
  printWrite(env, r, `Stored ${profileId} (token${until})`);
}

function requireTerminal(command: string, alternative: string): void {
  if (!isInteractive()) throw new OpenSoulError('TTY_REQUIRED', { command, alternative });
}


function printOrder(env: ActionEnv, r: AuthOrderResult): void {
  if (env.json) {
    printJson(r);
    return;
  }
  process.stdout.write(`${r.provider} order for agent ${r.agent}: ${r.order ? r.order.join(', ') : '(no override: config auth.order or round robin)'}\n`);
  process.stdout.write(`  effective now: ${r.effective.length ? r.effective.join(', ') : '(no usable profile)'}\n  store: ${tildePath(r.path)}\n`);
}

export function registerAuth(models: Command): void {
  const auth = models.command('auth').description('credential profiles: add, list, remove, order');

  auth
    .command('paste-token')
    .description('store a token from stdin (not a terminal) or a masked prompt; never from argv')
    .requiredOption('--provider <provider>', 'the provider, e.g. anthropic')
    .option('--profile-id <id>', 'the profile id (default <provider>:manual)')
    .option('--expires-in <duration>', 'when it expires: 365d, 12h, 30m or never (default never)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider: string; profileId?: string; expiresIn?: string }) => {
        const profileId = profileIdFor(o.provider, o.profileId, 'manual');
        const expires = o.expiresIn ? parseExpiresIn(o.expiresIn) : undefined;
        const token = await readSecret('token', tokenCheck(o.provider));
        await storeToken(env, o, profileId, token, expires);
      }),
    );

  auth
    .command('setup-token')
    .description('store an Anthropic setup-token made by `claude setup-token` (needs a terminal)')
    .requiredOption('--provider <provider>', 'anthropic')
    .option('--yes', 'run `claude setup-token` without asking, when it is on PATH')
    .option('--expires-in <duration>', 'when it expires (default 365d, the lifetime Claude gives setup-tokens)', '365d')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider: string; yes?: boolean; expiresIn: string }) => {
        if (o.provider !== 'anthropic') throw usageError(`setup-token is for --provider anthropic; for ${o.provider} use \`opensoul models auth paste-token --provider ${o.provider}\``);
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
          out.write('The `claude` CLI is not on PATH here. Run `claude setup-token` on any machine with Claude Code\n(it needs a Claude Pro/Max subscription), then paste the token it prints.\n');
        }
        const token = await promptSecret('Paste the setup-token (sk-ant-oat01-…)', tokenCheck('anthropic'));
        await storeToken(env, o, 'anthropic:default', token, expires);
      }),
    );

  auth
    .command('paste-api-key')
    .description("store an API key from stdin or a masked prompt, as a profile or in the state dir's .env")
    .requiredOption('--provider <provider>', 'the provider, e.g. openai')
    .option('--profile-id <id>', 'the profile id (default <provider>:manual)')
    .option('--target <where>', 'profile (auth-profiles.json) or env (~/.opensoul/.env)', 'profile')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider: string; profileId?: string; target: string }) => {
        if (o.target !== 'profile' && o.target !== 'env') throw usageError(`--target expects profile or env, got "${o.target}"`);
        if (o.target === 'env') {
          const name = providerSpec(o.provider)?.envVars[0];
          if (!name) throw usageError(`no env var is known for provider "${o.provider}"; use --target profile`);
          const key = await readSecret('API key');
          const r = await callDaemon(methods.envSet, { key: name, value: key });
          printWrite(env, r, `Stored ${name}`);
          return;
        }
        const profileId = profileIdFor(o.provider, o.profileId, 'manual');
        const key = await readSecret('API key');
        const r = await callDaemon(methods.authUpsert, { ...agentParam(o), profileId, credential: { type: 'api_key', key }, replace: true });
        printWrite(env, r, `Stored ${profileId} (api_key)`);
      }),
    );

  auth
    .command('add')
    .description('add a profile interactively: provider, kind, id, expiry, secret (needs a terminal)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt) => {
        requireTerminal('models auth add', '`opensoul models auth paste-token` or `paste-api-key` with the secret on stdin');
        const p = await import('@clack/prompts');
        const cancelled = () => new OpenSoulError('INVALID_INPUT', { reason: 'cancelled; nothing was stored' });
        const provider = await p.select({ message: 'Provider', options: PROVIDERS.map((x) => ({ value: x.id, label: x.name, hint: x.id })) });
        if (p.isCancel(provider)) throw cancelled();
        const kind = await p.select({ message: 'Kind', options: [{ value: 'api_key', label: 'API key' }, { value: 'token', label: 'Token (e.g. an Anthropic setup-token)' }] });
        if (p.isCancel(kind)) throw cancelled();
        const id = await p.text({
          message: 'Profile id',
          initialValue: `${provider}:default`,
          validate: (v) => (v && PROFILE_ID_PATTERN.test(v) && v.startsWith(`${provider}:`) ? undefined : `expected ${provider}:<name>`),
        });
        if (p.isCancel(id)) throw cancelled();
        let expires: number | undefined;
        if (kind === 'token') {
          const e = await p.text({
            message: 'Expires in (365d, 12h, 30m or never)',
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
        const secret = await promptSecret(kind === 'token' ? 'Paste the token' : 'Paste the API key', kind === 'token' ? tokenCheck(provider) : undefined);
        if (kind === 'token') await storeToken(env, o, id, secret, expires);
        else {
          const r = await callDaemon(methods.authUpsert, { ...agentParam(o), profileId: id, credential: { type: 'api_key', key: secret }, replace: true });
          printWrite(env, r, `Stored ${id} (api_key)`);
        }
      }),
    );

  auth
    .command('list')
    .description('list the profiles of an agent, masked')
    .option('--provider <provider>', 'only this provider')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider?: string }) => {
        const r = await callDaemon(methods.authList, { ...agentParam(o), ...(o.provider ? { provider: o.provider } : {}) });
        if (env.json) {
          printJson(r);
          return;
        }
        const s = env.style;
        process.stdout.write(`${s.bold('Agent')} ${r.agent}  ${s.dim(tildePath(r.authStore))}\n`);
        if (r.profiles.length === 0) process.stdout.write(`  ${s.dim('(no profiles)')}\n`);
        for (const p of r.profiles) {
          const exp = p.remainingMs === null ? '' : p.remainingMs > 0 ? `expires in ${formatDuration(p.remainingMs)}` : `expired ${formatDuration(-p.remainingMs)} ago`;
          process.stdout.write(`  ${[p.id, s.dim(p.type), p.masked, p.status, exp, p.inheritedFrom ? s.dim(`(from agent ${p.inheritedFrom})`) : '', p.next ? s.cyan('[next]') : ''].filter(Boolean).join('  ')}\n`);
        }
        for (const [provider, ids] of Object.entries(r.order)) process.stdout.write(`  ${s.dim(`order ${provider}: ${ids.join(', ')}`)}\n`);
      }),
    );

  auth
    .command('remove <profileId>')
    .alias('logout')
    .description('delete a profile (also from orders, usage state and config)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, profileId: string, o: AgentOpt) => {
        const r = await callDaemon(methods.authRemove, { ...agentParam(o), profileId });
        printWrite(env, r, `Removed ${profileId}`);
      }),
    );

  const order = auth.command('order').description("an agent's order override for a provider (stored in its auth-profiles.json)");
  for (const verb of ['get', 'set', 'clear'] as const) {
    const c = order
      .command(verb === 'set' ? 'set <ids...>' : verb)
      .description(verb === 'get' ? 'show the override and the order a call would use now' : verb === 'set' ? 'set the override (profile ids of that provider, first first)' : 'remove the override')
      .requiredOption('--provider <provider>', 'the provider')
      .option('--agent <id>', 'the agent (default: the configured default agent)')
      .option('--json', 'print one JSON document');
    if (verb === 'set') {
      c.action(action(async (env, ids: string[], o: AgentOpt & { provider: string }) => printOrder(env, await callDaemon(methods.authOrderSet, { ...agentParam(o), provider: o.provider, order: ids }))));
    } else {
      const m = verb === 'get' ? methods.authOrderGet : methods.authOrderClear;
      c.action(action(async (env, o: AgentOpt & { provider: string }) => printOrder(env, await callDaemon(m, { ...agentParam(o), provider: o.provider }))));
    }
  }
}
