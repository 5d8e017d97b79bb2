/**
 * `opensoul onboard` (§7): finds provider keys already in the environment (the classic "works in
 * my shell, 401 under systemd": the service does not see them), stores them for the daemon
 * (`~/.opensoul/.env` by default, or profiles), asks for missing ones (masked), and offers to
 * install the service. `--non-interactive` does the same for automation.
 */
import type { Command } from 'commander';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { PROVIDERS, providerSpec } from '../../ipc/providers.js';
import { action } from '../cli-context.js';
import type { ActionEnv, CliContext } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson, usageError } from '../output.js';
import { tildePath } from '../render/format.js';
import { isInteractive, promptSecret, readSecret } from '../secret-input.js';

type Target = 'env' | 'profile';

interface Stored {
  provider: string;
  name: string;
  target: Target;
  path: string;
  changed: boolean;
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

async function store(provider: string, name: string, value: string, target: Target, agent: string | undefined): Promise<Stored> {
  if (target === 'env') {
    const r = await callDaemon(methods.envSet, { key: name, value });
    return { provider, name, target, path: r.path, changed: r.changed };
  }
  const r = await callDaemon(methods.authUpsert, { ...(agent ? { agent } : {}), profileId: `${provider}:default`, credential: { type: 'api_key', key: value }, replace: true });
  return { provider, name: `${provider}:default`, target, path: r.path, changed: r.changed };
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

function report(env: ActionEnv, stored: Stored[], skipped: string[]): void {
  if (env.json) {
    printJson({ stored: stored.map(({ provider, name, target, path, changed }) => ({ provider, name, target, path, changed })), skipped });
    return;
  }
  if (stored.length === 0) process.stdout.write('Nothing stored.\n');
  for (const s of stored) process.stdout.write(`${s.changed ? 'Stored' : 'Already stored'} ${s.name} (${s.provider}) in ${tildePath(s.path)}\n`);
  for (const s of skipped) process.stdout.write(`Skipped ${s}\n`);
}

export function registerOnboard(program: Command, ctx: CliContext): void {
  program
    .command('onboard')
    .description('set up credentials for the gateway: keys from your environment, missing ones (masked), the service')
    .option('--non-interactive', 'no prompts (for automation)')
    .option('--from-env', "store the provider keys of this command's environment")
    .option('--provider <provider>', 'with --key-stdin: the provider of the key')
    .option('--key-stdin', 'read one key for --provider from stdin')
    .option('--target <where>', 'env (~/.opensoul/.env, the default) or profile (auth-profiles.json)', 'env')
    .option('--install-service', 'also run `opensoul gateway install`')
    .option('--install-daemon', 'the same as --install-service (OpenClaw)')
    .on('option:install-daemon', function (this: Command) {
      this.setOptionValue('installService', true);
    })
    .option('--agent <id>', 'the agent for --target profile (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (env, o: { nonInteractive?: boolean; fromEnv?: boolean; provider?: string; keyStdin?: boolean; target: string; installService?: boolean; agent?: string }) => {
        if (o.target !== 'env' && o.target !== 'profile') throw usageError(`--target expects env or profile, got "${o.target}"`);
        const target = o.target;
        if (o.keyStdin && !o.provider) throw usageError('--key-stdin needs --provider');
        if (o.provider && !providerSpec(o.provider)) throw usageError(`unknown provider "${o.provider}" (known: ${PROVIDERS.map((p) => p.id).join(', ')})`);
        const interactive = !o.nonInteractive;
        if (interactive && !isInteractive()) throw new OpenSoulError('TTY_REQUIRED', { command: 'onboard', alternative: '`opensoul onboard --non-interactive --from-env` or `--provider p --key-stdin`' });

        // The daemon is the only writer: it must run first (installing the service starts it).
        if (o.installService) {
          const code = await runSelf(ctx, ['gateway', 'install']);
          if (code !== 0) process.stderr.write('warning: `opensoul gateway install` did not succeed; continuing with a running gateway if there is one\n');
        }
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
        if (!interactive) {
          if (!o.fromEnv && !o.keyStdin) throw usageError('--non-interactive needs --from-env and/or --provider p --key-stdin');
          if (o.fromEnv) for (const k of providerKeysInEnv()) stored.push(await store(k.provider, k.name, k.value, target, o.agent));
          if (o.keyStdin && o.provider) {
            const key = await readSecret('API key');
            const name = providerSpec(o.provider)?.envVars[0] as string;
            stored.push(await store(o.provider, name, key, target, o.agent));
          }
          report(env, stored, skipped);
          return;
        }

        const p = await import('@clack/prompts');
        p.intro('OpenSoul onboarding');
        const seen = new Set((status?.providers ?? []).filter((x) => x.effective.kind !== 'missing').map((x) => x.provider));
        const found = providerKeysInEnv().filter((k) => !seen.has(k.provider));
        if (found.length > 0) {
          p.note(found.map((k) => `${k.name} (${k.provider})`).join('\n'), "In your shell's environment but not seen by the gateway");
          const ok = await p.confirm({ message: `Store ${found.length === 1 ? 'it' : 'them'} for the gateway (${target === 'env' ? '~/.opensoul/.env' : 'auth profiles'})?` });
          if (!p.isCancel(ok) && ok) for (const k of found) stored.push(await store(k.provider, k.name, k.value, target, o.agent));
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
            const key = await promptSecret(`${name}`);
            stored.push(await store(provider, name, key, target, o.agent));
          }
        }
        if (!o.installService) {
          const install = await p.confirm({ message: 'Install the gateway as a service (`opensoul gateway install`), so it runs at login?' });
          if (!p.isCancel(install) && install) await runSelf(ctx, ['gateway', 'install']);
        }
        p.outro('Done. Check with `opensoul models status`.');
        report(env, stored, skipped);
      }),
    );
}
