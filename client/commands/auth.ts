/**
 * `opensoul models auth …` (§7): every command is one RPC to the daemon, the only writer of
 * credential files; each prints the file it wrote. Secrets come from stdin or a masked prompt.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import type { AuthOrderResult, AuthUpsertParams, WriteResult } from '../../ipc/protocol.js';
import { PROFILE_ID_PATTERN, PROVIDERS, providerSpec } from '../../ipc/providers.js';
import { action } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { parseExpiresIn } from '../expiry.js';
import { printJson, usageError } from '../output.js';
import { renderAuthList } from '../render/auth-list.js';
import { formatDuration, formatTime, tildePath } from '../render/format.js';
import { isInteractive, promptSecret, readSecret, shapeCheck } from '../secret-input.js';
import { replacedLine, writeConfirmingReplace } from '../write-conflict.js';
import { findOnPath } from '../which.js';
import type { LoginOptions } from './login.js';

interface AgentOpt {
  agent?: string;
  force?: boolean;
}

const agentParam = (o: AgentOpt) => (o.agent ? { agent: o.agent } : {});

function profileIdFor(provider: string, given: string | undefined, fallbackName: string): string {
  const id = given ?? `${provider}:${fallbackName}`;
  if (!PROFILE_ID_PATTERN.test(id)) throw usageError(`--profile-id expects <provider>:<name> such as ${provider}:work, got "${id}"`);
  if (!id.startsWith(`${provider}:`)) throw usageError(`--profile-id ${id} does not belong to --provider ${provider}`);
  return id;
}

/** Words the result of a write: created, replaced (with what it was), or unchanged; a new agent is named. */
function printWrite(env: ActionEnv, r: WriteResult, id: string, detail: string): void {
  if (env.json) {
    printJson(r);
    return;
  }
  const out = process.stdout;
  if (r.createdAgent) out.write(`Created agent ${r.agent} (it did not exist; its files are in ${tildePath(path.dirname(r.path))})\n`);
  const where = tildePath(r.path);
  const replaced = replacedLine(id, r.replaced);
  if (replaced) out.write(`${replaced}, now ${detail}, in ${where}\n`);
  else if (r.changed) out.write(`Stored ${id} (${detail}) in ${where}\n`);
  else out.write(`Unchanged: ${id} (${detail}) is already stored in ${where}\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}

/** The command line to repeat with --force (no secret is ever part of it). */
function rerunOf(words: string, o: AgentOpt & { provider?: string; profileId?: string }, extra = ''): string {
  return `opensoul models auth ${words}${o.provider ? ` --provider ${o.provider}` : ''}${o.profileId ? ` --profile-id ${o.profileId}` : ''}${extra}${o.agent ? ` --agent ${o.agent}` : ''}`;
}

async function storeToken(env: ActionEnv, o: AgentOpt, profileId: string, token: string, expires: number | undefined, rerun: string): Promise<void> {
  const r = await writeConfirmingReplace(
    (replace) => {
      const params: AuthUpsertParams = { ...agentParam(o), profileId, credential: { type: 'token', token, ...(expires !== undefined ? { expires } : {}) }, replace };
      return callDaemon(methods.authUpsert, params);
    },
    { force: o.force === true, json: env.json, rerun },
  );
  const until = expires !== undefined ? `, expires ${formatTime(expires)}, in ${formatDuration(expires - Date.now())}` : ', no expiry';
  printWrite(env, r, profileId, `token${until}`);
}

async function storeApiKey(env: ActionEnv, o: AgentOpt, profileId: string, key: string, rerun: string): Promise<void> {
  const r = await writeConfirmingReplace((replace) => callDaemon(methods.authUpsert, { ...agentParam(o), profileId, credential: { type: 'api_key', key }, replace }), {
    force: o.force === true,
    json: env.json,
    rerun,
  });
  printWrite(env, r, profileId, 'api_key');
}

/** A profile id for `add` to offer that the agent does not hold yet: `<provider>:default`, else `<provider>:2`, … */
async function freeProfileId(provider: string, agent: string | undefined): Promise<string> {
  let taken = new Set<string>();
  try {
    taken = new Set((await callDaemon(methods.authList, { ...(agent ? { agent } : {}) })).profiles.map((p) => p.id));
  } catch (err) {
    // A write to an unknown agent creates it: it holds nothing yet.
    if (!(err instanceof OpenSoulError && err.kind === 'AGENT_NOT_FOUND')) throw err;
  }
  if (!taken.has(`${provider}:default`)) return `${provider}:default`;
  for (let n = 2; ; n++) if (!taken.has(`${provider}:${n}`)) return `${provider}:${n}`;
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
  const auth = models
    .command('auth')
    .description('credential profiles: add, list, remove, order')
    .option('--agent <id>', 'the agent for every command below (OpenClaw: `models auth --agent work list`)');

  auth
    .command('paste-token')
    .description('store a token from stdin (not a terminal) or a masked prompt; never from argv')
    .requiredOption('--provider <provider>', 'the provider, e.g. anthropic')
    .option('--profile-id <id>', 'the profile id (default <provider>:manual)')
    .option('--expires-in <duration>', 'when it expires: 365d, 12h, 90m, 1h30m, 1d12h, 30s or never (default never)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--force', 'replace a different secret already stored there (a terminal asks instead)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider: string; profileId?: string; expiresIn?: string }) => {
        const profileId = profileIdFor(o.provider, o.profileId, 'manual');
        const expires = o.expiresIn ? parseExpiresIn(o.expiresIn) : undefined;
        const token = await readSecret('token', shapeCheck(o.provider, 'token'));
        await storeToken(env, o, profileId, token, expires, rerunOf('paste-token', o, o.expiresIn ? ` --expires-in ${o.expiresIn}` : ''));
      }),
    );

  auth
    .command('setup-token')
    .description('store an Anthropic setup-token made by `claude setup-token` (needs a terminal)')
    .requiredOption('--provider <provider>', 'anthropic')
    .option('--yes', 'run `claude setup-token` without asking, when it is on PATH')
    .option('--expires-in <duration>', 'when it expires (default 365d, the lifetime Claude gives setup-tokens)', '365d')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--force', 'replace a different secret already stored there (a terminal asks instead)')
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
        const token = await promptSecret('Paste the setup-token (sk-ant-oat01-…)', shapeCheck('anthropic', 'token'));
        await storeToken(env, o, 'anthropic:default', token, expires, rerunOf('setup-token', o));
      }),
    );

  auth
    .command('login')
    .description('sign in with OAuth: a browser (PKCE) or a device code; the gateway stores and refreshes the result')
    .requiredOption('--provider <provider>', 'the provider: anthropic, openai-codex, github-copilot, or one configured in opensoul.json')
    .option('--device-code', 'use the device-code flow: enter a code on the provider’s page from any device')
    .option('--profile-id <id>', 'the profile id (default <provider>:<email> when the account names one, else <provider>:default)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--set-default', "put the profile first in the agent's order for the provider")
    .option('--force', 'replace a different credential already stored there (a terminal asks instead)')
    .option('--no-browser', 'do not open a browser; print the URL and wait for the redirect or a paste')
    .option('--method <method>', "cli: use the sign-in Claude Code (anthropic) or the Codex CLI (openai-codex) keeps — read through, never copied, never refreshed by the gateway")
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: LoginOptions) => {
        if (o.method === 'cli') {
          // Another CLI's sign-in, read through: one auth.adopt call, no browser.
          if (o.profileId !== undefined) profileIdFor(o.provider, o.profileId, 'cli');
          const { runAdoptCli } = await import('./login-cli-method.js');
          return runAdoptCli(env, { provider: o.provider, profileId: o.profileId, agent: o.agent, force: o.force });
        }
        const { runLogin } = await import('./login.js');
        await runLogin(env, o);
      }),
    );

  auth
    .command('paste-api-key')
    .description("store an API key from stdin or a masked prompt, as a profile or in the state dir's .env")
    .requiredOption('--provider <provider>', 'the provider, e.g. openai')
    .option('--profile-id <id>', 'the profile id (default <provider>:manual)')
    .option('--target <where>', 'profile (auth-profiles.json) or env (~/.opensoul/.env)', 'profile')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--force', 'replace a different secret already stored there (a terminal asks instead)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: AgentOpt & { provider: string; profileId?: string; target: string }) => {
        if (o.target !== 'profile' && o.target !== 'env') throw usageError(`--target expects profile or env, got "${o.target}"`);
        if (o.target === 'env') {
          const name = providerSpec(o.provider)?.envVars[0];
          if (!name) throw usageError(`no env var is known for provider "${o.provider}"; use --target profile`);
          const key = await readSecret('API key', shapeCheck(o.provider, 'api_key'));
          const r = await writeConfirmingReplace((replace) => callDaemon(methods.envSet, { key: name, value: key, replace }), {
            force: o.force === true,
            json: env.json,
            rerun: `opensoul models auth paste-api-key --provider ${o.provider} --target env`,
          });
          printWrite(env, r, name, 'API key');
          return;
        }
        const profileId = profileIdFor(o.provider, o.profileId, 'manual');
        const key = await readSecret('API key', shapeCheck(o.provider, 'api_key'));
        await storeApiKey(env, o, profileId, key, rerunOf('paste-api-key', o));
      }),
    );

  auth
    .command('add')
    .description('add a profile interactively: provider, kind, id, expiry, secret (needs a terminal)')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--force', 'replace a different secret already stored there (a terminal asks instead)')
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
        process.stdout.write(renderAuthList(r, env.style));
      }),
    );

  auth
    .command('remove <profileId>')
    .alias('logout')
    .description("delete one agent's own profile (also from its order and usage state; from config once no agent holds it)")
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--yes', 'accepted for scripts written for OpenClaw: remove never asks')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, profileId: string, o: AgentOpt) => {
        const r = await callDaemon(methods.authRemove, { ...agentParam(o), profileId });
        if (env.json) {
          printJson(r);
          return;
        }
        process.stdout.write(`Removed ${profileId} from agent ${r.agent}\n`);
        for (const f of r.files ?? [r.path]) process.stdout.write(`  changed ${tildePath(f)}\n`);
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
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
