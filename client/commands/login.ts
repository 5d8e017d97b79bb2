/**
 * `opensoul models auth login --provider p` (§13): the daemon runs the OAuth flow and stores the
 * result; this side shows the URL (and opens a browser where there is one), or the device code,
 * and waits. On a host without a browser the person signs in elsewhere and pastes the redirect
 * URL (or `code#state`) here — from a prompt on a terminal, or the first line of stdin. Ctrl-C
 * cancels the login in the daemon. Loaded only when the command runs.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Connection } from '../../ipc/client.js';
import { methods } from '../../ipc/protocol.js';
import type { AuthLoginCompleteResult, AuthLoginStartResult } from '../../ipc/protocol.js';
import { PROFILE_ID_PATTERN } from '../../ipc/providers.js';
import { command, flag, str } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { connectToDaemon } from '../connection.js';
import { canOpenBrowser, openBrowser } from '../open-browser.js';
import { printJson, usageError } from '../output.js';
import { formatDuration, formatTime, tildePath } from '../render/format.js';
import { alsoChanged, profileIdFor } from '../auth-common.js';
import { replacedLine, writeConfirmingReplace } from '../write-conflict.js';
import { runAdoptCli } from './login-cli-method.js';

/** The command's options (`--no-browser` sets `browser: false`). */
export interface LoginOptions {
  provider: string;
  deviceCode?: boolean;
  profileId?: string;
  agent?: string;
  setDefault?: boolean;
  force?: boolean;
  browser?: boolean;
  method?: string;
}

type Done = Extract<AuthLoginCompleteResult, { status: 'done' }>;

/** How long one `auth.login.complete` call waits; under the daemon's idle limit for connections. */
const WAIT_MS = 120_000;

/** Where the instructions go: stdout for people, stderr with --json (stdout holds one document). */
function say(env: ActionEnv, line: string): void {
  (env.json ? process.stderr : process.stdout).write(`${line}\n`);
}

/**
 * The first non-empty line a person pastes: on a terminal after a prompt, else from stdin.
 * Never settles when stdin ends without one (the browser may still come back).
 */
function readPastedLine(onInterrupt: () => void): { line: Promise<string>; close: () => void } {
  const tty = Boolean(process.stdin.isTTY);
  const rl = createInterface({ input: process.stdin, ...(tty ? { output: process.stderr, terminal: true } : { terminal: false }) });
  rl.on('SIGINT', onInterrupt);
  const line = new Promise<string>((resolve) => {
    if (tty) rl.setPrompt('…or paste the redirect URL (or code#state) here: ');
    rl.on('line', (text) => {
      if (text.trim() === '') {
        if (tty) rl.prompt();
        return;
      }
      rl.close();
      resolve(text);
    });
    if (tty) rl.prompt();
  });
  return { line, close: () => rl.close() };
}

function rerunOf(o: LoginOptions): string {
  return (
    `opensoul models auth login --provider ${o.provider}${o.deviceCode ? ' --device-code' : ''}` +
    `${o.profileId ? ` --profile-id ${o.profileId}` : ''}${o.agent ? ` --agent ${o.agent}` : ''}${o.setDefault ? ' --set-default' : ''}`
  );
}

function printDone(env: ActionEnv, r: Done, provider: string): void {
  if (env.json) {
    printJson(r);
    return;
  }
  const out = process.stdout;
  if (r.createdAgent) out.write(`Created agent ${r.agent} (it did not exist; its files are in ${tildePath(path.dirname(r.path))})\n`);
  out.write(`Signed in to ${provider}${r.email ? ` as ${r.email}` : ''}.\n`);
  const until = r.expires !== null ? `, access token expires ${formatTime(r.expires)} (in ${formatDuration(r.expires - Date.now())})` : ', no expiry';
  const detail = `${r.credentialType}${until}${r.credentialType === 'oauth' ? '; the gateway refreshes it' : ''}`;
  const where = tildePath(r.path);
  const replaced = replacedLine(r.profileId, r.replaced);
  if (replaced) out.write(`${replaced}, now ${detail}, in ${where}\n`);
  else if (r.changed) out.write(`Stored ${r.profileId} (${detail}) in ${where}\n`);
  else out.write(`Unchanged: ${r.profileId} is already stored in ${where}\n`);
  out.write(alsoChanged(r));
  if (r.setDefault) out.write(`${r.profileId} is now first in ${provider}'s order for agent ${r.agent}\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}

function showStart(env: ActionEnv, s: AuthLoginStartResult, o: LoginOptions): { opened: boolean } {
  const browserAllowed = o.browser !== false && canOpenBrowser();
  if (s.kind === 'device') {
    say(env, `To sign in to ${s.provider}, open ${s.verificationUri ?? s.url ?? '(no URL given)'} and enter the code:\n\n    ${s.userCode ?? ''}\n`);
    if (s.url && s.url !== s.verificationUri) say(env, `(or open ${s.url}, which has the code in it)`);
    const opened = browserAllowed && openBrowser(s.url ?? s.verificationUri ?? '');
    say(env, `Waiting for you to approve it (checking every ${s.interval ?? 5}s; the code expires at ${formatTime(s.expiresAt)}). Ctrl-C cancels.`);
    return { opened };
  }
  if (s.warning) process.stderr.write(`warning: ${s.warning}\n`);
  say(env, `To sign in to ${s.provider}, open this URL in a browser:\n\n    ${s.url ?? ''}\n`);
  const opened = browserAllowed && openBrowser(s.url ?? '');
  if (opened) say(env, 'A browser was opened for you.');
  if (s.redirect === 'loopback') {
    say(env, `Waiting for the browser to come back to ${s.redirectUri ?? 'this machine'} (Ctrl-C cancels).`);
    if (!opened) say(env, 'If the browser runs on another machine, its last page fails to load: copy that page’s address and paste it here.');
  } else {
    say(
      env,
      'After signing in, the provider shows a code (code#state) or the browser lands on a page that fails to load: ' +
        'paste that code or the page’s address here.',
    );
  }
  return { opened };
}

/** Runs the login; the exit code follows from what it throws (the action wrapper). */
export async function runLogin(env: ActionEnv, o: LoginOptions): Promise<void> {
  // `--method cli` is handled before this module loads (login-cli-method.ts).
  if (o.method !== undefined) throw usageError(`--method expects cli, got "${o.method}"`);
  if (o.profileId !== undefined) {
    if (!PROFILE_ID_PATTERN.test(o.profileId)) throw usageError(`--profile-id expects <provider>:<name> such as ${o.provider}:work, got "${o.profileId}"`);
    if (!o.profileId.startsWith(`${o.provider}:`)) throw usageError(`--profile-id ${o.profileId} does not belong to --provider ${o.provider}`);
  }
  const main = await connectToDaemon();
  const extra: Connection[] = [];
  let loginId: string | null = null;
  let done = false;
  let paste: { line: Promise<string>; close: () => void } | null = null;
  const cancel = async () => {
    if (!loginId || done) return;
    const c = await connectToDaemon({ quiet: true }).catch(() => null);
    await c?.call(methods.authLoginCancel, { loginId }).catch(() => undefined);
    c?.close();
  };
  const onInterrupt = () => {
    process.stderr.write('\nCancelled; nothing was stored.\n');
    void cancel().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    const start = await main.call(methods.authLoginStart, {
      provider: o.provider,
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.profileId ? { profileId: o.profileId } : {}),
      ...(o.deviceCode ? { deviceCode: true } : {}),
      ...(o.setDefault ? { setDefault: true } : {}),
      ...(o.force ? { replace: true } : {}),
    });
    loginId = start.loginId;
    const id = start.loginId;
    const { opened } = showStart(env, start, o);
    const wait = async (replace: boolean): Promise<Done> => {
      for (;;) {
        const r = await main.call(
          methods.authLoginComplete,
          { loginId: id, waitMs: WAIT_MS, ...(replace ? { replace: true } : {}) },
          { timeoutMs: WAIT_MS + 15_000 },
        );
        if (r.status === 'done') return r;
      }
    };
    let fromPaste: Promise<Done> = new Promise<never>(() => undefined);
    if (start.kind === 'browser' && (start.redirect === 'paste' || !opened)) {
      paste = readPastedLine(onInterrupt);
      fromPaste = paste.line.then(async (pasted) => {
        // Its own connection: the daemon answers one connection's calls in order, and `main` is waiting.
        const c = await connectToDaemon({ quiet: true });
        extra.push(c);
        const r = await c.call(methods.authLoginComplete, { loginId: id, pasted, waitMs: WAIT_MS }, { timeoutMs: WAIT_MS + 15_000 });
        return r.status === 'done' ? r : wait(false);
      });
    }
    // The paste prompt goes before a replacement is confirmed: one reader of the terminal at a time.
    const first = () => Promise.race([wait(false), fromPaste]).finally(() => paste?.close());
    const result = (await writeConfirmingReplace((replace) => (replace ? wait(true) : first()), {
      force: false,
      json: env.json,
      rerun: rerunOf(o),
    })) as Done;
    done = true;
    printDone(env, result, start.provider);
  } catch (err) {
    await cancel();
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
    paste?.close();
    main.close();
    for (const c of extra) c.close();
    // A paste that never came must not keep the process waiting on stdin.
    process.stdin.destroy();
  }
}

/** `models auth login`: an OAuth flow in the daemon, or (`--method cli`) another CLI's sign-in read through. */
export const login = command(async ({ env, opts }) => {
  const o: LoginOptions = { provider: str(opts, 'provider') as string };
  const profileId = str(opts, 'profileId');
  if (profileId !== undefined) o.profileId = profileId;
  const agent = str(opts, 'agent');
  if (agent !== undefined) o.agent = agent;
  const method = str(opts, 'method');
  if (method !== undefined) o.method = method;
  if (flag(opts, 'deviceCode')) o.deviceCode = true;
  if (flag(opts, 'setDefault')) o.setDefault = true;
  if (flag(opts, 'force')) o.force = true;
  if (opts.browser === false) o.browser = false;
  if (o.method === 'cli') {
    if (o.profileId !== undefined) profileIdFor(o.provider, o.profileId, 'cli');
    return runAdoptCli(env, { provider: o.provider, profileId: o.profileId, agent: o.agent, force: o.force });
  }
  await runLogin(env, o);
});
