/**
 * `opensoul proxy …`: the words and flags only. What the commands do lives in `proxy.ts`,
 * loaded by the action that runs (esbuild gives it a chunk of its own), so no other command
 * pays for it.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { action } from '../cli-context.js';
import { splitList } from '../fast-path.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `12h`, `30d` as milliseconds (commander's own error for anything else). */
export function parseExpiry(value: string): number {
  const m = /^\s*(\d{1,6})\s*([smhd])\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a duration such as 30m, 12h or 30d');
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (ms < 1000 || ms > 366 * 86_400_000) throw new InvalidArgumentError('expected a duration from 1s to 366d');
  return ms;
}

/** Declares `opensoul proxy status` and `opensoul proxy key create|list|revoke`. */
export function registerProxy(program: Command): void {
  const proxy = program.command('proxy').description('the local credential proxy: tools reach providers through the gateway with a local key, never a real one');

  proxy
    .command('status')
    .description('whether the proxy listens, where, and the environment lines for the SDKs')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('./proxy.js')).proxyStatus(env)));

  const key = proxy.command('key').description('local proxy keys: scoped to an agent and providers, revocable, stored hashed');
  key
    .command('create')
    .description('create a proxy key and print it (once: only its hash is kept)')
    .option('--agent <id>', 'the agent whose credentials it uses (default: the default agent)')
    .option('--provider <ids>', 'only these providers (comma list; repeatable; default: all)', (v: string, prev?: string[]) => splitList(v, prev))
    .option('--expires <duration>', 'valid this long: 30m, 12h, 30d (default: until revoked)', parseExpiry)
    .option('--label <text>', 'a note shown by `proxy key list`')
    .option('--json', 'print one JSON document (with the key)')
    .action(action(async (env, opts: { agent?: string; provider?: string[]; expires?: number; label?: string }) => (await import('./proxy.js')).keyCreate(env, opts)));
  key
    .command('list')
    .description('the proxy keys: id, agent, providers, expiry (never the keys)')
    .option('--json', 'print one JSON document')
    .action(action(async (env) => (await import('./proxy.js')).keyList(env)));
  key
    .command('revoke')
    .description('revoke a proxy key: its next request is refused')
    .argument('<id>', 'the key id (pk-…), from `proxy key list`')
    .option('--json', 'print one JSON document')
    .action(action(async (env, id: string) => (await import('./proxy.js')).keyRevoke(env, id)));
}
