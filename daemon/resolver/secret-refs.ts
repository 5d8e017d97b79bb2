/**
 * Resolving a SecretRef (§3) to its secret, only when a call needs it: an env var of the
 * daemon's effective environment, a file's content, or a command's stdout (`op read …`,
 * `vault kv get …`, `pass show …`). The secret is returned to the caller only — never logged;
 * failures are described without output.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { SecretRef } from '../../ipc/protocol.js';
import type { EffectiveEnv } from '../env/environment.js';

export const EXEC_REF_TIMEOUT_MS = 15_000;

export class SecretRefError extends Error {}

/**
 * The environment of an exec ref's command: the daemon's own, without provider keys — `op`,
 * `vault` or `pass` need their own variables (OP_SESSION_*, VAULT_ADDR), never our API keys.
 */
function execEnvironment(providerEnvVars: ReadonlySet<string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!providerEnvVars.has(k)) out[k] = v;
  return out;
}

export async function resolveSecretRef(ref: SecretRef, env: EffectiveEnv, providerEnvVars: ReadonlySet<string> = new Set()): Promise<string> {
  switch (ref.source) {
    case 'env': {
      const v = env.get(ref.id)?.value;
      if (!v) throw new SecretRefError(`env var ${ref.id} is not set in the gateway's environment`);
      return v;
    }
    case 'file': {
      let text: string;
      try {
        text = await readFile(ref.id, 'utf8');
      } catch (err) {
        throw new SecretRefError(`cannot read ${ref.id} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const v = text.trim();
      if (!v) throw new SecretRefError(`${ref.id} is empty`);
      return v;
    }
    case 'exec': {
      // The command line is the person's own (it is in their store); run through sh like a shell would.
      const out = await new Promise<string>((resolve, reject) => {
        execFile('/bin/sh', ['-c', ref.id], { env: execEnvironment(providerEnvVars), timeout: EXEC_REF_TIMEOUT_MS, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout) => {
          if (err) reject(new SecretRefError(`the command of an exec ref failed${(err as { killed?: boolean }).killed ? ' (timed out)' : ''}`));
          else resolve(stdout);
        });
      });
      const v = out.trim();
      if (!v) throw new SecretRefError('the command of an exec ref printed nothing');
      return v;
    }
  }
}
