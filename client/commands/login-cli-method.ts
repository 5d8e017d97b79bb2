/**
 * `opensoul models auth login --provider p --method cli`: adopt the sign-in another CLI keeps
 * (Claude Code for anthropic, the Codex CLI for openai-codex). One `auth.adopt` call; the
 * gateway reads that CLI's file through, watches it, and never refreshes it — that CLI does.
 */
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { AuthAdoptResult } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { formatDuration, formatTime, tildePath } from '../render/format.js';
import { replacedLine, writeConfirmingReplace } from '../write-conflict.js';

/** The options of `models auth login` that `--method cli` uses. */
export interface AdoptCliOptions {
  provider: string;
  profileId?: string | undefined;
  agent?: string | undefined;
  force?: boolean | undefined;
}

/** What the managing CLI is called, for the words printed. */
const CLI_NAMES: Record<AuthAdoptResult['managedBy'], { label: string; command: string }> = {
  'claude-cli': { label: 'Claude Code', command: 'claude' },
  'codex-cli': { label: 'Codex CLI', command: 'codex' },
};

/** Runs the adoption and prints what was stored; returns the exit code. */
export async function runAdoptCli(env: ActionEnv, o: AdoptCliOptions): Promise<number> {
  const profileFlag = o.profileId ? ` --profile-id ${o.profileId}` : '';
  const agentFlag = o.agent ? ` --agent ${o.agent}` : '';
  const rerun = `opensoul models auth login --provider ${o.provider} --method cli${profileFlag}${agentFlag}`;
  const r = (await writeConfirmingReplace(
    (replace) =>
      callDaemon(methods.authAdopt, {
        provider: o.provider,
        method: 'cli',
        ...(o.agent ? { agent: o.agent } : {}),
        ...(o.profileId ? { profileId: o.profileId } : {}),
        replace,
      }),
    { force: o.force === true, json: env.json, rerun },
  )) as AuthAdoptResult;
  if (env.json) {
    printJson(r);
    return 0;
  }
  const out = process.stdout;
  const cli = CLI_NAMES[r.managedBy];
  if (r.createdAgent) out.write(`Created agent ${r.agent} (it did not exist; its files are in ${tildePath(path.dirname(r.path))})\n`);
  const replaced = replacedLine(r.profileId, r.replaced);
  const verb = replaced ? `${replaced}, now` : r.changed ? 'Stored' : 'Unchanged:';
  out.write(`${verb} ${replaced ? '' : `${r.profileId} `}(oauth, managed by ${cli.command}) in ${tildePath(r.path)}\n`);
  out.write(`  reads ${tildePath(r.source)} through: no token was copied; the gateway picks up ${cli.label}'s refreshes live\n`);
  if (r.expiresAt !== null) {
    const left = r.expiresAt - Date.now();
    out.write(
      left > 0
        ? `  the access token expires ${formatTime(r.expiresAt)}, in ${formatDuration(left)}\n`
        : `  the access token has expired: refresh it with \`${cli.command}\` and retry\n`,
    );
  }
  out.write(`  the gateway never refreshes it itself (two refreshers of one refresh token revoke each other): ${cli.command} does\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  return 0;
}
