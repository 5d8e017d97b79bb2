/**
 * The file-level checks of `doctor` (§11): the state dir's and every secret file's permissions,
 * and whether each file parses. One module for both sides — the daemon runs it for `doctor.run`,
 * the CLI when the daemon is down — so the two can never disagree. `fix` applies only chmod; a
 * file that does not parse is never "fixed" by rewriting it.
 */
import { chmodSync, closeSync, constants, existsSync, fchmodSync, fstatSync, lstatSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { parseJsonc } from './jsonc.js';
import type { StatePaths } from './paths.js';
import type { DoctorCheck } from './protocol.js';
import { shellQuote } from './shell-quote.js';
import { AGENT_ID_PATTERN } from './providers.js';

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const myUid = () => (typeof process.getuid === 'function' ? process.getuid() : null);

interface Target {
  path: string;
  kind: 'dir' | 'secret' | 'json' | 'jsonc-config';
}

function targets(paths: StatePaths): Target[] {
  const list: Target[] = [
    { path: paths.dotenv, kind: 'secret' },
    { path: paths.config, kind: 'jsonc-config' },
    { path: paths.token, kind: 'secret' },
    // Read by scripts/auth-monitor.sh, not by the daemon; its notify URL may embed a token.
    { path: paths.authMonitorEnv, kind: 'secret' },
  ];
  for (const a of agentIds(paths)) {
    for (const file of [paths.authProfiles(a), paths.authState(a), paths.legacyAuth(a)]) list.push({ path: file, kind: 'json' });
  }
  return list;
}

/**
 * Every file of the state dir that holds a secret or the person's private state: the daemon
 * narrows these to 0600 at start, doctor checks them.
 */
export function secretFiles(paths: StatePaths): string[] {
  const out: string[] = [];
  for (const t of targets(paths)) out.push(t.path);
  for (const a of agentIds(paths)) out.push(paths.sessions(a));
  return out;
}

function agentIds(paths: StatePaths): string[] {
  try {
    return readdirSync(paths.agentsDir)
      .filter((a) => AGENT_ID_PATTERN.test(a))
      .sort();
  } catch {
    return []; // no agents yet
  }
}

function check(id: string, status: DoctorCheck['status'], message: string, fix: string | null = null, fixed = false): DoctorCheck {
  return { id, status, message, fix, fixed };
}

/** Permissions of the state dir and its private dirs (0700, ours), and of every secret file (0600). */
export function checkPermissions(paths: StatePaths, opts: { fix: boolean }): DoctorCheck[] {
  if (process.platform === 'win32') return [check('permissions', 'ok', 'file modes are not checked on Windows')];
  const out: DoctorCheck[] = [];
  const me = myUid();
  for (const dir of [paths.stateDir, paths.runDir, paths.logsDir]) {
    let st;
    let linked = false;
    try {
      st = lstatSync(dir);
      // A symlinked state dir is the person's choice: judge what it points to, never chmod through it.
      if (st.isSymbolicLink()) {
        linked = true;
        st = statSync(dir);
      }
    } catch {
      if (dir === paths.stateDir)
        out.push(
          check('state-dir', 'warn', `the state dir ${dir} does not exist yet`, 'start the gateway once (`opensoul gateway start`), it creates it 0700'),
        );
      continue;
    }
    if (me !== null && st.uid !== me) {
      out.push(
        check(
          'permissions',
          'error',
          `${dir} belongs to uid ${st.uid}, not to you (uid ${me}); the gateway refuses to start (exit 78)`,
          `run the gateway as its owner, or \`sudo chown -R "$USER" ${shellQuote(dir)}\``,
        ),
      );
      continue;
    }
    if ((st.mode & 0o077) !== 0) {
      // Others' write access is never fixed here: what they may have put inside needs a look first.
      const writable = (st.mode & 0o022) !== 0;
      let fixed = false;
      if (opts.fix && !writable && !linked && st.isDirectory()) {
        chmodSync(dir, 0o700);
        fixed = true;
      }
      const message = fixed
        ? `${dir} was ${octal(st.mode)}, open to other users; now 0700`
        : writable
          ? `${dir} is ${octal(st.mode)}: other users can write to it${dir === paths.stateDir ? ', so the gateway refuses to start (exit 78)' : ''}`
          : `${dir} is ${octal(st.mode)}: other users can read it (the gateway narrows it to 0700 when it starts)`;
      const fix = writable ? `check what is in ${dir}, then \`chmod 700 ${shellQuote(dir)}\`` : `chmod 700 ${shellQuote(dir)}`;
      out.push(check('permissions', fixed ? 'ok' : writable && dir === paths.stateDir ? 'error' : 'warn', message, fix, fixed));
    }
  }
  let secrets = 0;
  for (const t of targets(paths)) {
    // Opened without following links, and checked and changed through that descriptor: a
    // symlink put in a file's place is never chmod-ed (nor what it points to).
    let fd: number;
    try {
      fd = openSync(t.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP')
        out.push(check('permissions', 'warn', `${t.path} is a symbolic link: its mode is not checked or changed`, `replace it with the file itself`));
      continue;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) continue;
      secrets++;
      if ((st.mode & 0o077) === 0) continue;
      let fixed = false;
      if (opts.fix && (me === null || st.uid === me)) {
        fchmodSync(fd, 0o600);
        fixed = true;
      }
      // opensoul.json holds secrets only in env.vars; still 0600, like everything the daemon writes.
      const status = fixed ? 'ok' : t.kind === 'jsonc-config' ? 'warn' : 'error';
      const message = fixed
        ? `${t.path} was ${octal(st.mode)}, readable by other users; now 0600`
        : `${t.path} is ${octal(st.mode)}: other users on this host can read it (the gateway narrows it to 0600 when it starts)`;
      out.push(check('permissions', status, message, `chmod 600 ${shellQuote(t.path)}`, fixed));
    } finally {
      closeSync(fd);
    }
  }
  if (existsSync(paths.stateDir) && !out.some((c) => c.id === 'permissions' && !c.fixed)) {
    out.push(check('permissions', 'ok', `the state dir is private (0700) and its ${secrets} secret file${secrets === 1 ? '' : 's'} 0600`));
  }
  return out;
}

/**
 * The largest `.env`, config or store the gateway loads. Real ones are a few KiB; a bigger one
 * is a mistake (a log pasted in) or an attack on the daemon's memory — a 10 MiB `.env` once
 * took it from 57 to 143 MiB, and it stayed there. Refused as a file error, last good kept.
 */
export const MAX_STATE_FILE_BYTES = 1024 * 1024;

/** The person-facing error for a file over {@link MAX_STATE_FILE_BYTES}. */
export function oversizeMessage(bytes: number): string {
  return `is ${(bytes / (1024 * 1024)).toFixed(1)} MiB, over the 1 MiB limit: not loaded`;
}

type ReadOutcome = { ok: true; text: string } | { ok: false; message: string; fix: string };

/** What the gateway and doctor say of a FIFO, socket or device where a state file should be. */
export const NOT_A_FILE_MESSAGE = 'is not a regular file (a FIFO, socket or device): not loaded';

/** Reads a state file as the gateway would: over the size limit, not a regular file or unreadable is an error, never content. */
function readStateFile(file: string): ReadOutcome {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO put in a file's place must not hang doctor (readFileSync did).
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return {
      ok: false,
      message: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: `check the file's owner and mode: \`ls -l ${shellQuote(file)}\``,
    };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      return {
        ok: false,
        message: `${file} ${st.isDirectory() ? 'is a directory, not a file' : NOT_A_FILE_MESSAGE}; the gateway keeps its last good state`,
        fix: `move it away (\`mv ${shellQuote(file)} ${shellQuote(`${file}.not-a-file`)}\`); the gateway then reads the file as absent`,
      };
    if (st.size > MAX_STATE_FILE_BYTES)
      return {
        ok: false,
        message: `${file} ${oversizeMessage(st.size)}; the gateway keeps its last good state`,
        fix: `trim ${file} by hand to the keys and profiles it should hold`,
      };
    return { ok: true, text: readFileSync(fd, 'utf8') };
  } catch (err) {
    return {
      ok: false,
      message: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: `check the file's owner and mode: \`ls -l ${shellQuote(file)}\``,
    };
  } finally {
    closeSync(fd);
  }
}

/** Profile ids in one parsed store: `profiles` of auth-profiles.json, or the providers of a legacy auth.json. */
function profileIdsIn(kind: 'profiles' | 'legacy', value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  if (kind === 'legacy') return Object.keys(value).map((provider) => `${provider}:default`);
  const profiles = (value as { profiles?: unknown }).profiles;
  return typeof profiles === 'object' && profiles !== null && !Array.isArray(profiles) ? Object.keys(profiles) : [];
}

/**
 * The profile ids on disk, per agent, read from the stores themselves (ids only, never a
 * secret): what doctor reports while the daemon is down, so it never claims "no profiles" when
 * there are some.
 */
export function profilesOnDisk(paths: StatePaths): { agent: string; ids: string[] }[] {
  const out: { agent: string; ids: string[] }[] = [];
  for (const agent of agentIds(paths)) {
    const ids = new Set<string>();
    for (const [file, kind] of [
      [paths.authProfiles(agent), 'profiles'],
      [paths.legacyAuth(agent), 'legacy'],
    ] as const) {
      if (!existsSync(file)) continue;
      const read = readStateFile(file);
      const parsed = read.ok ? parseJsonc(read.text) : null;
      if (parsed?.ok) for (const id of profileIdsIn(kind, parsed.value)) ids.add(id);
    }
    if (ids.size > 0) out.push({ agent, ids: [...ids].sort() });
  }
  return out;
}

/** `main: anthropic:default, openai:manual; work: anthropic:work`, cut after a dozen ids. */
function listProfiles(found: { agent: string; ids: string[] }[]): string {
  const LIMIT = 12;
  let shown = 0;
  const parts: string[] = [];
  for (const { agent, ids } of found) {
    const room = Math.max(0, LIMIT - shown);
    if (room === 0) break;
    parts.push(`${agent}: ${ids.slice(0, room).join(', ')}`);
    shown += Math.min(room, ids.length);
  }
  const total = found.reduce((n, f) => n + f.ids.length, 0);
  return `${parts.join('; ')}${total > shown ? ` and ${total - shown} more` : ''}`;
}

/** Whether every store and the config parse (a position, never content), and the profiles they hold; never fixed by rewriting. */
export function checkFilesParse(paths: StatePaths): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  let checked = 0;
  for (const t of targets(paths)) {
    if (!existsSync(t.path)) continue;
    const read = readStateFile(t.path);
    if (!read.ok) {
      out.push(check('parse', 'error', read.message, read.fix));
      continue;
    }
    // .env and auth-monitor.env are dotenv, not JSON: only their size and readability are checked here.
    if (t.kind === 'secret') continue;
    checked++;
    const parsed = parseJsonc(read.text);
    if (!parsed.ok) {
      out.push(
        check(
          'parse',
          'error',
          `${t.path} does not parse: ${parsed.error.message}; the gateway keeps its last good state and refuses writes to it`,
          `edit ${t.path} by hand near line ${parsed.error.line} (doctor never rewrites a credential file)`,
        ),
      );
    } else if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      out.push(check('parse', 'error', `${t.path} is not a JSON object`, `edit ${t.path} by hand`));
    }
  }
  if (out.length === 0) {
    const found = profilesOnDisk(paths);
    const profiles = found.length > 0 ? `; profiles on disk: ${listProfiles(found)}` : '; no profiles on disk yet';
    out.push(check('parse', 'ok', `every store and the config parse (${checked} file${checked === 1 ? '' : 's'})${profiles}`));
  }
  return out;
}
