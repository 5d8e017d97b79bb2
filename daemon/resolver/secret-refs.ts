/**
 * Resolving a SecretRef (§3) to its secret, only when a call needs it — OpenClaw's contract, so
 * refs and `secrets.providers` blocks copied from OpenClaw behave the same here. What we follow
 * (openclaw/openclaw docs/gateway/secrets.md "SecretRef contract" and "Provider config";
 * src/secrets/resolve.ts, src/secrets/ref-contract.ts):
 * - a ref is `{source, provider, id}`; a ref without `provider` uses `secrets.defaults.<source>`,
 *   else `default`; an unconfigured `default` is the plain env provider, any other unconfigured
 *   name is an error, and so is a provider whose `source` differs from the ref's;
 * - env: `allowlist` (exact names) when given; missing or empty values fail;
 * - file: `path` (`~` expanded), `mode` "json" (default: the file is a JSON object and `id` an
 *   RFC 6901 pointer) or "singleValue" (`id` must be "value"; the contents minus one trailing
 *   newline); `maxBytes` 1 MiB bounds the read; the file must be ours and readable by no one
 *   else unless `allowInsecurePath`. `timeoutMs` is read but has nothing to bound: only a
 *   regular file is read (a FIFO, the one local file a read can hang on, is refused);
 * - exec: `command` is an absolute path run directly (no shell), not a symlink unless
 *   `allowSymlinkCommand`, inside `trustedDirs` when given; `args`; `timeoutMs` 5000,
 *   `noOutputTimeoutMs` (= timeoutMs), `maxOutputBytes` 1 MiB; the child's environment is only
 *   `passEnv` (taken from ours) plus `env`; stdin gets `{"protocolVersion":1,"provider","ids"}`,
 *   stdout must be `{"protocolVersion":1,"values":{id: secret},"errors"?:{id:{message}}}` —
 *   unless `jsonOnly` is false, when plain stdout is the value of the single id asked for.
 * Where we are stricter: provider key names (ANTHROPIC_API_KEY, …) never reach an exec child
 * even when listed in `passEnv` (a password manager needs its own variables, never our keys);
 * a command owned by root is accepted besides one owned by us (OpenClaw requires our uid, which
 * refuses every packaged /usr/bin binary); a resolver's own error text is not passed on (it is
 * another program's output, and could hold anything).
 *
 * Errors (`SecretRefError`) name the ref and the provider, never a value or the output.
 */
import { spawn } from 'node:child_process';
import { lstatSync, openSync, readSync, closeSync, fstatSync, realpathSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { SecretRef } from '../../ipc/protocol.js';
import { isRecord } from '../../ipc/jsonc.js';
import type { SecretProviderConfig, SecretsConfig } from '../config/config.js';
import type { EffectiveEnv } from '../env/environment.js';

export class SecretRefError extends Error {}

export interface SecretRefContext {
  env: EffectiveEnv;
  secrets: SecretsConfig;
  /** Env var names of every provider: never passed to an exec resolver. */
  providerEnvVars: ReadonlySet<string>;
  /** For `~` in a file provider's path or an exec command. */
  home: string;
  /** The daemon's own environment, where `passEnv` takes its values (PATH, HOME, GNUPGHOME…). */
  processEnv?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_SECRET_PROVIDER = 'default';

/** `ref(env:NAME)`-style description of a ref for messages: no value, and no exec detail beyond its provider. */
export function describeRef(ref: SecretRef): string {
  return `${ref.source}:${ref.provider ?? DEFAULT_SECRET_PROVIDER}:${ref.id}`;
}

/** The provider a ref uses and its config, or why there is none. */
export function providerOfRef(ref: SecretRef, secrets: SecretsConfig): { name: string; config: SecretProviderConfig } {
  const name = ref.provider ?? secrets.defaults[ref.source] ?? DEFAULT_SECRET_PROVIDER;
  const config = secrets.providers[name];
  if (!config) {
    if (ref.source === 'env' && name === (secrets.defaults.env ?? DEFAULT_SECRET_PROVIDER)) return { name, config: { source: 'env', allowlist: null } };
    throw new SecretRefError(`secret provider "${name}" is not configured in opensoul.json secrets.providers (ref ${describeRef(ref)})`);
  }
  if (config.source !== ref.source) throw new SecretRefError(`secret provider "${name}" has source "${config.source}" but the ref asks for "${ref.source}"`);
  return { name, config };
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

/** RFC 6901: `/a/b~1c` → ["a", "b/c"]; `~1` before `~0`, as the RFC orders the unescaping. */
export function readJsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) throw new SecretRefError(`"${pointer}" is not a JSON pointer (it must start with /)`);
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    if (/~[^01]|~$/.test(raw)) throw new SecretRefError(`"${pointer}" has an invalid ~ escape`);
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) node = node[Number(key)];
    else if (isRecord(node) && Object.prototype.hasOwnProperty.call(node, key)) node = node[key];
    else throw new SecretRefError(`nothing at JSON pointer ${pointer}`);
  }
  return node;
}

/** Refuses a path that others could have written, or (for secrets) read; a symlink unless allowed. */
function checkPath(
  file: string,
  what: string,
  opts: { allowSymlink: boolean; allowInsecure: boolean; readableByOthers: boolean; trustedDirs: string[]; home: string },
): string {
  if (!path.isAbsolute(file)) throw new SecretRefError(`${what} must be an absolute path: ${file}`);
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    throw new SecretRefError(`${what} cannot be read: ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let real = file;
  if (st.isSymbolicLink()) {
    if (!opts.allowSymlink) throw new SecretRefError(`${what} must not be a symlink: ${file}`);
    real = realpathSync(file);
    st = lstatSync(real);
  }
  if (!st.isFile()) throw new SecretRefError(`${what} is not a regular file: ${real}`);
  if (opts.trustedDirs.length > 0 && !opts.trustedDirs.some((d) => !path.relative(expandHome(d, opts.home), real).startsWith('..'))) {
    throw new SecretRefError(`${what} is outside trustedDirs: ${real}`);
  }
  if (opts.allowInsecure || process.platform === 'win32') return real;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0)
    throw new SecretRefError(`${what} must be owned by the gateway's user (uid ${uid}) or root: ${real}`);
  if ((st.mode & 0o022) !== 0 || (!opts.readableByOthers && (st.mode & 0o044) !== 0))
    throw new SecretRefError(`${what} permissions are too open (${(st.mode & 0o777).toString(8)}): ${real}`);
  return real;
}

function resolveEnv(ref: SecretRef, name: string, config: Extract<SecretProviderConfig, { source: 'env' }>, ctx: SecretRefContext): string {
  if (config.allowlist && !config.allowlist.includes(ref.id)) throw new SecretRefError(`env var ${ref.id} is not in secrets.providers.${name}.allowlist`);
  const v = ctx.env.get(ref.id)?.value;
  if (!v) throw new SecretRefError(`env var ${ref.id} is not set in the gateway's environment`);
  return v;
}

/** The file provider's payload: bounded, read without following a symlink swapped in after the check. */
function readFileProvider(name: string, config: Extract<SecretProviderConfig, { source: 'file' }>, home: string): string {
  const file = checkPath(expandHome(config.path, home), `secrets.providers.${name}.path`, {
    allowSymlink: false,
    allowInsecure: config.allowInsecurePath,
    readableByOthers: false,
    trustedDirs: [],
    home,
  });
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch (err) {
    throw new SecretRefError(`secrets.providers.${name}.path cannot be opened: ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > config.maxBytes) throw new SecretRefError(`secrets.providers.${name}.path is larger than maxBytes (${config.maxBytes})`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf
      .subarray(0, off)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}

/** A file ref, synchronously (status checks file refs without waiting on anything else). */
export function resolveFileRef(ref: SecretRef, ctx: Pick<SecretRefContext, 'secrets' | 'home'>): string {
  const { name, config } = providerOfRef(ref, ctx.secrets);
  if (config.source !== 'file') throw new SecretRefError(`secret provider "${name}" is not a file provider`);
  const text = readFileProvider(name, config, ctx.home);
  let value: unknown;
  if (config.mode === 'singleValue') {
    if (ref.id !== 'value') throw new SecretRefError(`singleValue file provider "${name}" expects ref id "value"`);
    value = text.replace(/\r?\n$/, '');
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      // Position-free on purpose: JSON.parse's message quotes the file's text.
      throw new SecretRefError(`secrets.providers.${name}.path is not valid JSON`);
    }
    if (!isRecord(doc)) throw new SecretRefError(`secrets.providers.${name}.path does not hold a JSON object`);
    value = readJsonPointer(doc, ref.id);
  }
  if (typeof value !== 'string' || value === '') throw new SecretRefError(`ref ${describeRef(ref)} resolved to an empty or non-string value`);
  return value;
}

interface ExecOutcome {
  stdout: string;
  code: number | null;
  termination: 'exit' | 'timeout' | 'no-output-timeout' | 'too-much-output';
}

function runResolver(command: string, config: Extract<SecretProviderConfig, { source: 'exec' }>, env: NodeJS.ProcessEnv, input: string): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, config.args, { cwd: path.dirname(command), env, stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let termination: ExecOutcome['termination'] = 'exit';
    const stop = (why: ExecOutcome['termination']) => {
      if (termination === 'exit') termination = why;
      child.kill('SIGKILL');
    };
    const total = setTimeout(() => stop('timeout'), config.timeoutMs);
    let quiet = setTimeout(() => stop('no-output-timeout'), config.noOutputTimeoutMs);
    const onData = (chunk: Buffer, keep: boolean) => {
      bytes += chunk.length;
      if (bytes > config.maxOutputBytes) return stop('too-much-output');
      if (keep) chunks.push(chunk);
      clearTimeout(quiet);
      quiet = setTimeout(() => stop('no-output-timeout'), config.noOutputTimeoutMs);
    };
    child.stdout.on('data', (c: Buffer) => onData(c, true));
    // stderr counts towards the bound and the silence timer but is never kept: it could echo anything.
    child.stderr.on('data', (c: Buffer) => onData(c, false));
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      clearTimeout(total);
      clearTimeout(quiet);
      reject(new SecretRefError(`the resolver command could not be started (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
    });
    child.on('close', (code) => {
      clearTimeout(total);
      clearTimeout(quiet);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), code, termination });
    });
    child.stdin.end(input);
  });
}

/** OpenClaw's exec response, or (jsonOnly false, one id) plain stdout as that id's value. */
function valueFromResponse(name: string, id: string, stdout: string, jsonOnly: boolean): string {
  const trimmed = stdout.trim();
  if (!trimmed) throw new SecretRefError(`exec provider "${name}" printed nothing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    if (!jsonOnly) return trimmed;
    throw new SecretRefError(`exec provider "${name}" did not print a JSON response (set jsonOnly: false for a command that prints the secret itself)`);
  }
  if (!isRecord(parsed)) {
    if (!jsonOnly && typeof parsed === 'string') return parsed;
    if (!jsonOnly) return trimmed;
    throw new SecretRefError(`exec provider "${name}": the response must be a JSON object`);
  }
  if (parsed.protocolVersion !== 1) throw new SecretRefError(`exec provider "${name}": protocolVersion must be 1`);
  if (!isRecord(parsed.values)) throw new SecretRefError(`exec provider "${name}": the response has no "values"`);
  if (isRecord(parsed.errors) && id in parsed.errors) throw new SecretRefError(`exec provider "${name}" reported an error for id "${id}"`);
  const v = parsed.values[id];
  if (v === undefined) throw new SecretRefError(`exec provider "${name}": the response has no value for id "${id}"`);
  if (typeof v !== 'string' || v === '') throw new SecretRefError(`exec provider "${name}": the value for id "${id}" is empty or not a string`);
  return v;
}

const EXEC_ID = /^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$/;

async function resolveExec(ref: SecretRef, name: string, config: Extract<SecretProviderConfig, { source: 'exec' }>, ctx: SecretRefContext): Promise<string> {
  if (!EXEC_ID.test(ref.id) || ref.id.split('/').some((s) => s === '.' || s === '..')) {
    throw new SecretRefError(`exec ref id "${ref.id}" must match ${EXEC_ID.source} without . or .. segments`);
  }
  const command = checkPath(expandHome(config.command, ctx.home), `secrets.providers.${name}.command`, {
    allowSymlink: config.allowSymlinkCommand,
    allowInsecure: config.allowInsecurePath,
    readableByOthers: true,
    trustedDirs: config.trustedDirs,
    home: ctx.home,
  });
  const from = ctx.processEnv ?? process.env;
  const env: NodeJS.ProcessEnv = {};
  for (const k of config.passEnv) if (!ctx.providerEnvVars.has(k) && from[k] !== undefined) env[k] = from[k];
  for (const [k, v] of Object.entries(config.env)) if (!ctx.providerEnvVars.has(k)) env[k] = v;
  const out = await runResolver(command, config, env, JSON.stringify({ protocolVersion: 1, provider: name, ids: [ref.id] }));
  if (out.termination === 'timeout') throw new SecretRefError(`exec provider "${name}" timed out after ${config.timeoutMs} ms`);
  if (out.termination === 'no-output-timeout') throw new SecretRefError(`exec provider "${name}" printed nothing for ${config.noOutputTimeoutMs} ms`);
  if (out.termination === 'too-much-output') throw new SecretRefError(`exec provider "${name}" printed more than maxOutputBytes (${config.maxOutputBytes})`);
  if (out.code !== 0) throw new SecretRefError(`exec provider "${name}" exited with code ${String(out.code)}`);
  return valueFromResponse(name, ref.id, out.stdout, config.jsonOnly);
}

export async function resolveSecretRef(ref: SecretRef, ctx: SecretRefContext): Promise<string> {
  const { name, config } = providerOfRef(ref, ctx.secrets);
  switch (config.source) {
    case 'env':
      return resolveEnv(ref, name, config, ctx);
    case 'file':
      return resolveFileRef(ref, ctx);
    case 'exec':
      return resolveExec(ref, name, config, ctx);
  }
}

/**
 * Why a ref's secret cannot be had now, or null when it can — or cannot be known without running
 * a command: status never runs an exec ref (§7.1), so those are null here.
 */
export function probeSecretRef(ref: SecretRef, ctx: Omit<SecretRefContext, 'processEnv'>): string | null {
  try {
    const { name, config } = providerOfRef(ref, ctx.secrets);
    if (config.source === 'env') resolveEnv(ref, name, config, ctx);
    else if (config.source === 'file') resolveFileRef(ref, ctx);
    return null;
  } catch (err) {
    if (err instanceof SecretRefError) return err.message;
    throw err;
  }
}
