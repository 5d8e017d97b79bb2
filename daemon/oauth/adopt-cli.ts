/**
 * `auth.adopt` (§13 "credentials another CLI manages"): store a profile that reads Claude Code's
 * or the Codex CLI's OAuth credentials through. The file is read once here to check that it
 * holds a sign-in (so the person hears now, not at the first call, that it does not); nothing
 * secret is copied into our store — the gateway re-reads the file whenever it changes.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import { MAX_STATE_FILE_BYTES } from '../../ipc/file-checks.js';
import { openRegularStat } from '../fs/open-regular.js';
import type { AuthAdoptParams, AuthAdoptResult } from '../../ipc/protocol.js';
import type { GatewayState } from '../state/gateway-state.js';
import { managingCommand } from '../stores/credentials.js';
import type { StoreService } from '../stores/store-service.js';
import { MANAGED_CLIS, managedByFor, managedFilePath, parseManagedFile } from './managed-files.js';

async function readSmall(file: string): Promise<string | null> {
  let opened;
  try {
    // Not stat + readFile: a FIFO in the file's place (size 0) would block the open for ever,
    // holding one of libuv's four I/O threads; a few such calls stall every file operation of the daemon.
    opened = await openRegularStat(file);
  } catch {
    return null;
  }
  const { handle, stat } = opened;
  try {
    // The size from the stat the open already took, not a second one.
    if (stat.size > MAX_STATE_FILE_BYTES) return null;
    return await handle.readFile('utf8');
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** Adopts the managing CLI's credentials for `params.provider` into the agent's store. */
export async function adoptCliCredentials(
  state: GatewayState,
  stores: StoreService,
  params: AuthAdoptParams,
  registerSecrets: (values: string[]) => void,
): Promise<AuthAdoptResult> {
  const by = managedByFor(params.provider);
  if (!by) {
    const known = Object.values(MANAGED_CLIS)
      .map((c) => `${c.label} for --provider ${c.provider}`)
      .join(', ');
    throw new OpenSoulError('INVALID_INPUT', { reason: `--method cli adopts another CLI's sign-in (${known}); there is none for ${params.provider}` });
  }
  const spec = MANAGED_CLIS[by];
  const cmd = managingCommand(by);
  const profileId = params.profileId ?? spec.defaultProfileId;
  if (!profileId.startsWith(`${spec.provider}:`))
    throw new OpenSoulError('INVALID_INPUT', { reason: `profile id ${profileId} does not belong to provider ${spec.provider}` });
  const ctx = state.secretRefContext();
  const source = managedFilePath(by, ctx.processEnv ?? {}, ctx.home);
  const text = await readSmall(source);
  if (text === null)
    throw new OpenSoulError('INVALID_INPUT', { reason: `no ${spec.label} credentials at ${source}: sign in with \`${cmd}\` first, then run this again` });
  const read = parseManagedFile(by, text);
  if (!read.ok) throw new OpenSoulError('INVALID_INPUT', { reason: `${source} does not parse (${read.message}); nothing was stored` });
  if (!read.tokens)
    throw new OpenSoulError('INVALID_INPUT', {
      reason: `${source} holds no OAuth sign-in (an API-key login?): sign in with \`${cmd}\` and your subscription, then run this again`,
    });
  const t = read.tokens;
  registerSecrets([t.access, t.refresh, ...(t.idToken ? [t.idToken] : [])]);
  const agent = params.agent ?? state.defaultAgent();
  const written = await stores.adoptManagedProfile(
    agent,
    profileId,
    { provider: spec.provider, managedBy: by, source, email: t.email },
    params.replace === true,
  );
  return { ...written, profileId, managedBy: by, source, expiresAt: t.expires > 0 ? t.expires : null };
}
