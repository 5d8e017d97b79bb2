/**
 * Credentials another CLI manages (§13): Claude Code's `.credentials.json` and the Codex CLI's
 * `auth.json`. Where they are, and how their tokens are read — pure functions of a file's text.
 * We only ever read these files: their owners refresh them, and a second refresher of the same
 * refresh token would revoke the first one's.
 *
 * Formats (as those CLIs write them, and as OpenClaw reads them):
 * - Claude Code: `{"claudeAiOauth": {"accessToken", "refreshToken", "expiresAt" (Unix ms),
 *   "scopes", "subscriptionType"}}`
 * - Codex CLI: `{"tokens": {"id_token", "access_token", "refresh_token", "account_id"},
 *   "last_refresh", "OPENAI_API_KEY"?}` — no expiry field: the access token is a JWT whose
 *   `exp` claim says it.
 */
import path from 'node:path';
import { isRecord, parseJsonc } from '../../ipc/jsonc.js';
import type { ManagedBy } from '../stores/credentials.js';
import { jwtClaims } from './jwt-claims.js';

/** The provider each managing CLI's credentials are for, and the profile id an adoption uses by default. */
export const MANAGED_CLIS: Readonly<Record<ManagedBy, { provider: string; defaultProfileId: string; label: string }>> = {
  'claude-cli': { provider: 'anthropic', defaultProfileId: 'anthropic:claude-cli', label: 'Claude Code' },
  'codex-cli': { provider: 'openai-codex', defaultProfileId: 'openai-codex:codex-cli', label: 'Codex CLI' },
};

/** The managing CLI of a provider, or null when no CLI's credentials can be adopted for it. */
export function managedByFor(provider: string): ManagedBy | null {
  for (const [by, spec] of Object.entries(MANAGED_CLIS) as [ManagedBy, (typeof MANAGED_CLIS)[ManagedBy]][]) if (spec.provider === provider) return by;
  return null;
}

/** Where the managing CLI keeps its credentials: `$CLAUDE_CONFIG_DIR/.credentials.json` else `~/.claude/…`; `$CODEX_HOME/auth.json` else `~/.codex/…`. */
export function managedFilePath(by: ManagedBy, env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (by === 'claude-cli') return path.join(env.CLAUDE_CONFIG_DIR || path.join(home, '.claude'), '.credentials.json');
  return path.join(env.CODEX_HOME || path.join(home, '.codex'), 'auth.json');
}

/** The tokens read from a managed file (never written anywhere by us). */
export interface ManagedTokens {
  access: string;
  refresh: string;
  /** Unix ms; 0 when unknown (treated as expired). */
  expires: number;
  accountId?: string;
  email?: string;
  /** Codex's id token: never used, only registered with the log redactor. */
  idToken?: string;
}

/** A managed file read: its tokens (null: no OAuth sign-in in it), or where it does not parse. */
export type ManagedRead = { ok: true; tokens: ManagedTokens | null } | { ok: false; message: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Parses a managed file's text; `tokens: null` when it parses but holds no OAuth sign-in (an API-key-only Codex login). */
export function parseManagedFile(by: ManagedBy, text: string): ManagedRead {
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { ok: false, message: parsed.error.message };
  if (!isRecord(parsed.value)) return { ok: false, message: 'line 1, column 1: expected a JSON object' };
  const doc = parsed.value;
  if (by === 'claude-cli') {
    const o = isRecord(doc.claudeAiOauth) ? doc.claudeAiOauth : undefined;
    const access = str(o?.accessToken);
    const refresh = str(o?.refreshToken);
    if (!access || !refresh) return { ok: true, tokens: null };
    const expiresAt = typeof o?.expiresAt === 'number' && Number.isFinite(o.expiresAt) ? o.expiresAt : 0;
    return { ok: true, tokens: { access, refresh, expires: expiresAt } };
  }
  const t = isRecord(doc.tokens) ? doc.tokens : undefined;
  const access = str(t?.access_token);
  const refresh = str(t?.refresh_token);
  if (!access || !refresh) return { ok: true, tokens: null };
  const claims = jwtClaims(access);
  const exp = typeof claims?.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : 0;
  const authClaim = isRecord(claims?.['https://api.openai.com/auth']) ? claims['https://api.openai.com/auth'] : undefined;
  const accountId = str(t?.account_id) ?? str(authClaim?.chatgpt_account_id);
  const idClaims = typeof t?.id_token === 'string' ? jwtClaims(t.id_token) : undefined;
  const email = str(idClaims?.email);
  const idToken = str(t?.id_token);
  return {
    ok: true,
    tokens: { access, refresh, expires: exp, ...(accountId ? { accountId } : {}), ...(email ? { email } : {}), ...(idToken ? { idToken } : {}) },
  };
}
