/**
 * The file-level checks of `doctor` (§11): the state dir's and every secret file's permissions,
 * and whether each file parses. One module for both sides — the daemon runs it for `doctor.run`,
 * the CLI when the daemon is down — so the two can never disagree. `fix` applies only chmod; a
 * file that does not parse is never "fixed" by rewriting it.
 */
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { parseJsonc } from './jsonc.js';
import type { StatePaths } from './paths.js';
import type { DoctorCheck } from './protocol.js';
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
  ];
  let agents: string[] = [];
  try {
    agents = readdirSync(paths.agentsDir).filter((a) => AGENT_ID_PATTERN.test(a));
  } catch {
    /* no agents yet */
  }
  for (const a of agents.sort()) {
    for (const file of [paths.authProfiles(a), paths.authState(a), paths.legacyAuth(a)]) list.push({ path: file, kind: 'json' });
  }
  return list;
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
    try {
      st = lstatSync(dir);
    } catch {
      if (dir === paths.stateDir) out.push(check('state-dir', 'warn', `the state dir ${dir} does not exist yet`, 'start the gateway once (`opensoul gateway start`), it creates it 0700'));
      continue;
    }
    if (me !== null && st.uid !== me) {
      out.push(check('permissions', 'error', `${dir} belongs to uid ${st.uid}, not to you (uid ${me}); the gateway refuses to start (exit 78)`, `run the gateway as its owner, or \`sudo chown -R $USER ${dir}\``));
      continue;
    }
    if ((st.mode & 0o077) !== 0) {
      let fixed = false;
      if (opts.fix) {
        chmodSync(dir, 0o700);
        fixed = true;
      }
      const message = fixed
        ? `${dir} was ${octal(st.mode)}, open to other users; now 0700`
        : `${dir} is ${octal(st.mode)}, open to other users${dir === paths.stateDir ? ' (the gateway refuses to start: exit 78)' : ''}`;
      out.push(check('permissions', fixed ? 'ok' : 'error', message, `chmod 700 ${dir}`, fixed));
    }
  }
  let secrets = 0;
  for (const t of targets(paths)) {
    let st;
    try {
      st = statSync(t.path);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    secrets++;
    if ((st.mode & 0o077) === 0) continue;
    let fixed = false;
    if (opts.fix) {
      chmodSync(t.path, 0o600);
      fixed = true;
    }
    // opensoul.json holds secrets only in env.vars; still 0600, like everything the daemon writes.
    const status = fixed ? 'ok' : t.kind === 'jsonc-config' ? 'warn' : 'error';
    const message = fixed ? `${t.path} was ${octal(st.mode)}, readable by other users; now 0600` : `${t.path} is ${octal(st.mode)}: other users on this host can read it`;
    out.push(check('permissions', status, message, `chmod 600 ${t.path}`, fixed));
  }
  if (existsSync(paths.stateDir) && !out.some((c) => c.id === 'permissions' && !c.fixed)) {
    out.push(check('permissions', 'ok', `the state dir is private (0700) and its ${secrets} secret file${secrets === 1 ? '' : 's'} 0600`));
  }
  return out;
}

/** Whether every store and the config parse (a position, never content); never fixed by rewriting. */
export function checkFilesParse(paths: StatePaths): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  let checked = 0;
  for (const t of targets(paths)) {
    if (t.kind === 'secret' || !existsSync(t.path)) continue;
    let text: string;
    try {
      text = readFileSync(t.path, 'utf8');
    } catch (err) {
      out.push(check('parse', 'error', `${t.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, `check the file's owner and mode: \`ls -l ${t.path}\``));
      continue;
    }
    checked++;
    const parsed = parseJsonc(text);
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
  if (out.length === 0) out.push(check('parse', 'ok', `every store and the config parse (${checked} file${checked === 1 ? '' : 's'})`));
  return out;
}
