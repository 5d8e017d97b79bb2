/**
 * What the `opensoul models auth …` commands share (§7): every command is one RPC to the daemon,
 * the only writer of credential files; each prints the file it wrote.
 */
import { dirname } from 'node:path';
import { OpenSoulError } from '../ipc/errors.js';
import { methods } from '../ipc/protocol.js';
import type { AuthOrderResult, AuthUpsertParams, WriteResult } from '../ipc/protocol.js';
import { PROFILE_ID_PATTERN } from '../ipc/providers.js';
import type { ActionEnv } from './cli-context.js';
import { callDaemon } from './connection.js';
import { printJson, usageError } from './output.js';
import { formatDuration, formatTime, tildePath } from './render/format.js';
import { visibleStrings } from './render/terminal-text.js';
import { isInteractive } from './secret-input.js';
import { replacedLine, writeConfirmingReplace } from './write-conflict.js';

/** The options every auth command may take. */
export interface AgentOpt {
  agent?: string;
  force?: boolean;
}

/** The `agent` param when one was named. */
export const agentParam = (o: AgentOpt) => (o.agent ? { agent: o.agent } : {});

/** The profile id to write: given or `<provider>:<fallbackName>`, checked against the provider. */
export function profileIdFor(provider: string, given: string | undefined, fallbackName: string): string {
  const id = given ?? `${provider}:${fallbackName}`;
  if (!PROFILE_ID_PATTERN.test(id)) throw usageError(`--profile-id expects <provider>:<name> such as ${provider}:work, got "${id}"`);
  if (!id.startsWith(`${provider}:`)) throw usageError(`--profile-id ${id} does not belong to --provider ${provider}`);
  return id;
}

/** Words the result of a write: created, replaced (with what it was), or unchanged; a new agent is named. */
export function printWrite(env: ActionEnv, r: WriteResult, id: string, detail: string): void {
  if (env.json) {
    printJson(r);
    return;
  }
  const out = process.stdout;
  if (r.createdAgent) out.write(`Created agent ${r.agent} (it did not exist; its files are in ${tildePath(dirname(r.path))})\n`);
  const where = tildePath(r.path);
  const replaced = replacedLine(id, r.replaced);
  if (replaced) out.write(`${replaced}, now ${detail}, in ${where}\n`);
  else if (r.changed) out.write(`Stored ${id} (${detail}) in ${where}\n`);
  else out.write(`Unchanged: ${id} (${detail}) is already stored in ${where}\n`);
  out.write(alsoChanged(r));
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}

/**
 * The files a write changed besides the store it names: a new profile id is also recorded in
 * opensoul.json's `auth.profiles` (provider and mode, never the secret), and a person who keeps
 * that file in a dotfiles repo must not find it edited without being told.
 */
export function alsoChanged(r: Pick<WriteResult, 'path' | 'files'>): string {
  return (r.files ?? [])
    .filter((f) => f !== r.path)
    .map((f) => `  also changed ${tildePath(f)}${f.endsWith('opensoul.json') ? ' (auth.profiles: provider and mode, no secret)' : ''}\n`)
    .join('');
}

/** The command line to repeat with --force (no secret is ever part of it). */
export function rerunOf(words: string, o: AgentOpt & { provider?: string; profileId?: string }, extra = ''): string {
  const providerFlag = o.provider ? ` --provider ${o.provider}` : '';
  const profileFlag = o.profileId ? ` --profile-id ${o.profileId}` : '';
  const agentFlag = o.agent ? ` --agent ${o.agent}` : '';
  return `opensoul models auth ${words}${providerFlag}${profileFlag}${extra}${agentFlag}`;
}

/** Stores a token profile (asking before a replacement on a terminal) and prints the result. */
export async function storeToken(env: ActionEnv, o: AgentOpt, profileId: string, token: string, expires: number | undefined, rerun: string): Promise<void> {
  const r = await writeConfirmingReplace(
    (replace) => {
      const params: AuthUpsertParams = {
        ...agentParam(o),
        profileId,
        credential: { type: 'token', token, ...(expires !== undefined ? { expires } : {}) },
        replace,
      };
      return callDaemon(methods.authUpsert, params);
    },
    { force: o.force === true, json: env.json, rerun },
  );
  const until = expires !== undefined ? `, expires ${formatTime(expires)}, in ${formatDuration(expires - Date.now())}` : ', no expiry';
  printWrite(env, r, profileId, `token${until}`);
}

/** Stores an API-key profile and prints the result. */
export async function storeApiKey(env: ActionEnv, o: AgentOpt, profileId: string, key: string, rerun: string): Promise<void> {
  const r = await writeConfirmingReplace(
    (replace) => callDaemon(methods.authUpsert, { ...agentParam(o), profileId, credential: { type: 'api_key', key }, replace }),
    {
      force: o.force === true,
      json: env.json,
      rerun,
    },
  );
  printWrite(env, r, profileId, 'api_key');
}

/** A profile id for `add` to offer that the agent does not hold yet: `<provider>:default`, else `<provider>:2`, … */
export async function freeProfileId(provider: string, agent: string | undefined): Promise<string> {
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

/** TTY_REQUIRED unless stdin and stdout are a terminal. */
export function requireTerminal(command: string, alternative: string): void {
  if (!isInteractive()) throw new OpenSoulError('TTY_REQUIRED', { command, alternative });
}

/** An order result, as text or JSON. */
export function printOrder(env: ActionEnv, answer: AuthOrderResult): void {
  if (env.json) {
    printJson(answer);
    return;
  }
  // Profile ids come from files: shown, never obeyed (see visibleStrings).
  const r = visibleStrings(answer);
  process.stdout.write(`${r.provider} order for agent ${r.agent}: ${r.order ? r.order.join(', ') : '(no override: config auth.order or round robin)'}\n`);
  process.stdout.write(`  effective now: ${r.effective.length ? r.effective.join(', ') : '(no usable profile)'}\n  store: ${tildePath(r.path)}\n`);
}
