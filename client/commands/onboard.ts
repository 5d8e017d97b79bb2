/**
 * `opensoul onboard` (§7): finds provider keys already in the environment (the classic "works in
 * my shell, 401 under systemd": the service does not see them), stores them for the daemon
 * (`~/.opensoul/.env` by default, or profiles), asks for missing ones (masked), and offers to
 * install the service where there is a service manager. `--non-interactive` does the same for automation.
 */
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { PROVIDERS, providerSpec } from '../../ipc/providers.js';
import { alsoChanged } from '../auth-common.js';
import { command, flag, str } from '../cli-context.js';
import type { ActionEnv, CliContext } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson, usageError } from '../output.js';
import { tildePath } from '../render/format.js';
import { isInteractive, promptSecret, readSecret, shapeCheck } from '../secret-input.js';
import { replacedLine, writeConfirmingReplace } from '../write-conflict.js';
import type { ReplaceOptions } from '../write-conflict.js';

type Target = 'env' | 'profile';

interface Stored {
  provider: string;
  name: string;
  target: Target;
  path: string;
  changed: boolean;
  replaced?: { type: string; masked: string };
  /** The agent the write created (a profile write naming an unknown agent). */
  createdAgent?: string;
  /** Every file the write changed (a profile write also records the id in opensoul.json). */
  files?: string[];
}

/** A key that was not stored (a different value already there, a secret of the wrong shape): the rest go on. */
interface Refused {
  name: string;
  error: OpenSoulError;
}

/** Provider keys set (non-empty) in this process's environment: [provider, var name]. */
export function providerKeysInEnv(env: NodeJS.ProcessEnv = process.env): { provider: string; name: string; value: string }[] {
  const out: { provider: string; name: string; value: string }[] = [];
  for (const p of PROVIDERS) {
    for (const name of p.envVars) {
      const value = env[name];
      if (value && value.trim() !== '') out.push({ provider: p.id, name, value: value.trim() });
    }
  }
  return out;
}

/** A provider key's kind: the `…_TOKEN` names hold tokens (ANTHROPIC_OAUTH_TOKEN, GH_TOKEN), the rest API keys. */
const kindOf = (name: string): 'api_key' | 'token' => (/TOKEN/.test(name) ? 'token' : 'api_key');

async function store(provider: string, name: string, value: string, target: Target, agent: string | undefined, replace: ReplaceOptions): Promise<Stored> {
  const kind = kindOf(name);
  // Quick feedback with this CLI's remedy; the daemon checks again before it writes.
  const problem = shapeCheck(provider, kind)(value);
  if (problem) throw problem;
  if (target === 'env') {
    const r = await writeConfirmingReplace((replace) => callDaemon(methods.envSet, { key: name, value, replace }), replace);
    return { provider, name, target, path: r.path, changed: r.changed, ...(r.replaced ? { replaced: r.replaced } : {}) };
  }
  const profileId = `${provider}:default`;
  const credential = kind === 'token' ? { type: 'token' as const, token: value } : { type: 'api_key' as const, key: value };
  const r = await writeConfirmingReplace((replace) => callDaemon(methods.authUpsert, { ...(agent ? { agent } : {}), profileId, credential, replace }), replace);
  return {
    provider,
    name: profileId,
    target,
    path: r.path,
    changed: r.changed,
    ...(r.replaced ? { replaced: r.replaced } : {}),
    ...(r.createdAgent ? { createdAgent: r.agent } : {}),
    ...(r.files ? { files: r.files } : {}),
  };
}

/** Stores one key; a conflict or a refused shape is collected (the other keys still go in), anything else stops. */
async function storeOrCollect(stored: Stored[], refused: Refused[], name: string, write: () => Promise<Stored>): Promise<void> {
  try {
    stored.push(await write());
  } catch (err) {
    if (err instanceof OpenSoulError && (err.kind === 'CONFLICT' || err.kind === 'SECRET_SHAPE')) refused.push({ name, error: err });
    else throw err;
  }
}

/**
 * Why the service cannot be installed here (no user systemd bus, an unsupported platform, forced
 * `none`), or null when it can: the wizard offers only an install that `gateway install` would do.
 */
async function noServiceManager(ctx: CliContext): Promise<string | null> {
  const [{ chooseManager, serviceContext }, { CommandLog }] = await Promise.all([import('../service/context.js'), import('../service/tools.js')]);
  try {
    const choice = await chooseManager(serviceContext(ctx), new CommandLog(), 'user');
    return choice.kind === 'none' ? choice.why : null;
  } catch {
    // A bad OPENSOUL_SERVICE_MANAGER: offered, and `gateway install` says what is wrong with it.
    return null;
  }
}

/** Runs this same CLI (`opensoul gateway …`) with the terminal, for install/start. */
async function runSelf(ctx: CliContext, args: string[]): Promise<number> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ctx.cliEntry, ...args], { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function daemonStatus(): Promise<ModelsStatusResult | null> {
  try {
    return await callDaemon(methods.modelsStatus, {});
  } catch (err) {
    if (err instanceof OpenSoulError && err.kind === 'DAEMON_UNREACHABLE') return null;
    throw err;
  }
}

/** Prints what was stored, replaced, skipped and refused; exit 1 when anything was refused. */
function report(env: ActionEnv, stored: Stored[], skipped: string[], refused: Refused[]): number {
  if (env.json) {
    const doc = {
      stored: stored.map(({ provider, name, target, path, changed, replaced, createdAgent }) => ({
        provider,
        name,
        target,
        path,
        changed,
        ...(replaced ? { replaced } : {}),
        ...(createdAgent ? { createdAgent: true } : {}),
      })),
      skipped,
    };
    const first = refused[0];
    printJson(
      first
        ? {
            error: { code: first.error.kind, message: refused.map((r) => r.error.message).join('\n') },
            ...doc,
            refused: refused.map((r) => ({ name: r.name, code: r.error.kind, message: r.error.message })),
          }
        : doc,
    );
    return refused.length > 0 ? 1 : 0;
  }
  if (stored.length === 0 && refused.length === 0) process.stdout.write('Nothing stored.\n');
  for (const s of stored) {
    if (s.createdAgent) process.stdout.write(`Created agent ${s.createdAgent} (it did not exist; its files are in ${tildePath(path.dirname(s.path))})\n`);
    const replaced = replacedLine(s.name, s.replaced);
    if (replaced) process.stdout.write(`${replaced} (${s.provider}) in ${tildePath(s.path)}\n`);
    else process.stdout.write(`${s.changed ? 'Stored' : 'Already stored'} ${s.name} (${s.provider}) in ${tildePath(s.path)}\n`);
    process.stdout.write(alsoChanged(s));
  }
  for (const s of skipped) process.stdout.write(`Skipped ${s}\n`);
  for (const r of refused) process.stderr.write(`opensoul: ${r.name}: ${r.error.message}\n`);
  return refused.length > 0 ? 1 : 0;
}

/** `onboard` (`--install-daemon` is `--install-service`: the table maps it). */
export const onboard = command(async ({ env, opts, ctx }) => {
  const provider = str(opts, 'provider');
  const agent = str(opts, 'agent');
  const o = {
    nonInteractive: flag(opts, 'nonInteractive'),
    fromEnv: flag(opts, 'fromEnv'),
    keyStdin: flag(opts, 'keyStdin'),
    target: str(opts, 'target') as string,
    installService: flag(opts, 'installService'),
    force: flag(opts, 'force'),
    ...(provider !== undefined ? { provider } : {}),
    ...(agent !== undefined ? { agent } : {}),
  };
  if (o.target !== 'env' && o.target !== 'profile') throw usageError(`--target expects env or profile, got "${o.target}"`);
  const target = o.target;
  if (o.keyStdin && !o.provider) throw usageError('--key-stdin needs --provider');
  if (o.provider && !providerSpec(o.provider)) throw usageError(`unknown provider "${o.provider}" (known: ${PROVIDERS.map((p) => p.id).join(', ')})`);
  const interactive = !o.nonInteractive;
  if (interactive && !isInteractive())
    throw new OpenSoulError('TTY_REQUIRED', {
      command: 'onboard',
      alternative: '`opensoul onboard --non-interactive --from-env` or `--provider p --key-stdin`',
    });

  // The daemon is the only writer: it must run first (installing the service starts it).
  // A failed install is the command's failure too (exit 1 at the end): a setup script must not
  // read "done" from a host where the gateway will not come back after a reboot.
  let installFailed = false;
  if (o.installService) {
    installFailed = (await runSelf(ctx, ['gateway', 'install'])) !== 0;
    if (installFailed) process.stderr.write('warning: `opensoul gateway install` did not succeed; continuing with a running gateway if there is one\n');
  }
  const finish = (code: number): number => {
    if (!installFailed) return code;
    process.stderr.write('opensoul: the service was not installed (see `opensoul gateway install`), so this exits 1; the keys are as reported above\n');
    return 1;
  };
  let status = await daemonStatus();
  if (!status && interactive) {
    const p = await import('@clack/prompts');
    const start = await p.confirm({ message: 'The gateway is not running. Start it now (`opensoul gateway start`)?' });
    if (!p.isCancel(start) && start) {
      await runSelf(ctx, ['gateway', 'start']);
      status = await daemonStatus();
    }
  }
  if (!status) await callDaemon(methods.gatewayStatus, {}); // raises the standard "not running" error, exit 3

  const stored: Stored[] = [];
  const skipped: string[] = [];
  const refused: Refused[] = [];
  const agentWords = o.agent ? ` --agent ${o.agent}` : '';
  const replace = (rerun: string): ReplaceOptions => ({
    force: o.force === true,
    json: env.json,
    noPrompt: !interactive,
    rerun: `${rerun} --target ${target}${agentWords}`,
  });
  if (!interactive) {
    if (!o.fromEnv && !o.keyStdin) throw usageError('--non-interactive needs --from-env and/or --provider p --key-stdin');
    if (o.fromEnv) {
      for (const k of providerKeysInEnv())
        await storeOrCollect(stored, refused, k.name, () =>
          store(k.provider, k.name, k.value, target, o.agent, replace('opensoul onboard --non-interactive --from-env')),
        );
    }
    if (o.keyStdin && o.provider) {
      const provider = o.provider;
      const key = await readSecret('API key', shapeCheck(provider, 'api_key'));
      const name = providerSpec(provider)?.envVars[0] as string;
      await storeOrCollect(stored, refused, name, () =>
        store(provider, name, key, target, o.agent, replace(`opensoul onboard --non-interactive --provider ${provider} --key-stdin`)),
      );
    }
    return finish(report(env, stored, skipped, refused));
  }

  const p = await import('@clack/prompts');
  p.intro('OpenSoul onboarding');
  const seen = new Set((status?.providers ?? []).filter((x) => x.effective.kind !== 'missing').map((x) => x.provider));
  const found = providerKeysInEnv().filter((k) => !seen.has(k.provider));
  if (found.length > 0) {
    p.note(found.map((k) => `${k.name} (${k.provider})`).join('\n'), "In your shell's environment but not seen by the gateway");
    const ok = await p.confirm({
      message: `Store ${found.length === 1 ? 'it' : 'them'} for the gateway (${target === 'env' ? '~/.opensoul/.env' : 'auth profiles'})?`,
    });
    if (!p.isCancel(ok) && ok)
      for (const k of found)
        await storeOrCollect(stored, refused, k.name, () => store(k.provider, k.name, k.value, target, o.agent, replace('opensoul onboard')));
    else skipped.push(...found.map((k) => k.name));
  }
  const have = new Set([...seen, ...stored.map((s) => s.provider)]);
  const missing = PROVIDERS.filter((x) => !have.has(x.id));
  const pick = await p.multiselect({
    message: 'Add keys for more providers? (space to select, enter to continue)',
    options: missing.map((x) => ({ value: x.id, label: x.name, hint: x.id === 'anthropic' ? 'recommended: an API key' : x.envVars[0] })),
    required: false,
  });
  if (!p.isCancel(pick)) {
    for (const provider of pick) {
      const name = providerSpec(provider)?.envVars[0] as string;
      const key = await promptSecret(`${name}`, shapeCheck(provider, kindOf(name)));
      await storeOrCollect(stored, refused, name, () => store(provider, name, key, target, o.agent, replace('opensoul onboard')));
    }
  }
  if (!o.installService) {
    // An offer that can only fail is not made: on a host without a service manager (a container,
    // an SSH session without lingering), say how the gateway runs there instead.
    const none = await noServiceManager(ctx);
    if (none) p.note(`${none[0]?.toUpperCase()}${none.slice(1)}.`, 'The gateway cannot be installed as a service here');
    else {
      const install = await p.confirm({ message: 'Install the gateway as a service (`opensoul gateway install`), so it runs at login?' });
      // A failed install fails the wizard as it fails `--install-service`: no "Done", exit 1.
      if (!p.isCancel(install) && install) installFailed = (await runSelf(ctx, ['gateway', 'install'])) !== 0;
    }
  }
  // "Done" only when the exit code will say so too.
  p.outro(installFailed || refused.length > 0 ? 'Not done: what failed is below.' : 'Done. Check with `opensoul models status`.');
  return finish(report(env, stored, skipped, refused));
});
