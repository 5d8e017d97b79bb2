/**
 * What `opensoul proxy …` does (loaded only when one of them runs). `proxy key create` is the one
 * command besides `exec` whose output carries a secret: the new key, on stdout, once. It is our
 * local key, not a provider's, and only its hash is kept, so this is the only time it can be
 * shown.
 */
import { methods } from '../../ipc/protocol.js';
import type { ProxyKeyInfo } from '../../ipc/protocol.js';
import { command, list, num, str } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { formatDuration, tildePath } from '../render/format.js';
import { alignRows } from '../render/table.js';

function scope(k: ProxyKeyInfo, now: number): string {
  const providers = k.providers === null ? 'all providers' : k.providers.join(', ');
  const expiry = k.expiresAt === null ? 'no expiry' : k.expired ? 'expired' : `expires in ${formatDuration(k.expiresAt - now)}`;
  // A held key is an `exec --proxy` run's: it ends with the run.
  return `agent ${k.agent}, ${providers}, ${k.held === true ? (k.expiresAt === null ? 'while its run lasts' : `${expiry} or when its run ends`) : expiry}`;
}

/** `proxy key create`: the key alone on stdout (or inside the JSON document), what it is on stderr. */
export const keyCreate = command(async ({ env, opts }) => {
  const agent = str(opts, 'agent');
  const providers = list(opts, 'provider');
  const expires = num(opts, 'expires');
  const label = str(opts, 'label');
  const r = await callDaemon(methods.proxyKeyCreate, {
    ...(agent ? { agent } : {}),
    ...(providers.length > 0 ? { providers } : {}),
    ...(expires !== undefined ? { expiresInMs: expires } : {}),
    ...(label ? { label } : {}),
  });
  if (env.json) {
    printJson(r);
    return;
  }
  // The key alone on stdout (`KEY=$(opensoul proxy key create)`); what it is, on stderr.
  process.stdout.write(`${r.key}\n`);
  process.stderr.write(
    `Proxy key ${r.id} (${scope(r, Date.now())}). Shown once: only its hash is kept. Revoke it with \`opensoul proxy key revoke ${r.id}\`.\n`,
  );
});

/** `proxy key list`. */
export const keyList = command(async ({ env }) => {
  const r = await callDaemon(methods.proxyKeyList, {});
  if (env.json) {
    printJson(r);
    return;
  }
  if (r.keys.length === 0) {
    process.stdout.write(`No proxy keys (${tildePath(r.file)}). Create one with \`opensoul proxy key create\`.\n`);
    return;
  }
  const now = Date.now();
  const rows = r.keys.map((k) => [k.id, scope(k, now), k.label ?? '']);
  process.stdout.write(`${alignRows(rows, '  ').join('\n')}\n`);
});

/** `proxy key revoke <id>`. */
export const keyRevoke = command(async ({ env, args }) => {
  const r = await callDaemon(methods.proxyKeyRevoke, { id: args[0] as string });
  if (env.json) printJson(r);
  else process.stdout.write(`Revoked ${r.id}: requests with it are refused from now on.\n`);
});

/** `proxy status`: from `gateway.status`, with the environment lines when it listens. */
export const proxyStatus = command(async ({ env }) => {
  const status = await callDaemon(methods.gatewayStatus, {});
  const p = status.proxy;
  if (env.json) {
    printJson({ proxy: p });
    return;
  }
  if (!p) {
    process.stdout.write('The proxy is not enabled: add "proxy": { "enabled": true } to opensoul.json (the gateway applies it at once).\n');
    return;
  }
  const s = env.style;
  process.stdout.write(p.url ? `${s.green('listening')} on ${p.url}  (${p.requests} requests, ${p.active} in progress)\n` : `${s.red('not listening')}\n`);
  if (p.error) process.stdout.write(`${s.yellow('problem')} ${p.error}\n`);
  if (p.url) {
    process.stdout.write(`\nFor the SDKs, Claude Code and curl (with a key from \`opensoul proxy key create\`):\n`);
    process.stdout.write(`  ANTHROPIC_BASE_URL=${p.url}/anthropic\n  OPENAI_BASE_URL=${p.url}/openai/v1\n`);
  }
});
