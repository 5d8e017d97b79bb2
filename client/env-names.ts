/**
 * The provider key names set in this CLI's environment — names only, never values: they go to
 * the daemon (doctor, models status) so it can say which keys this shell has and it does not.
 */
import { knownProviderEnvVars } from '../ipc/providers.js';

export function providerNamesInEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return knownProviderEnvVars().filter((name) => (env[name] ?? '').trim() !== '');
}
