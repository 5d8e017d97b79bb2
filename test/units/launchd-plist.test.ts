import assert from 'node:assert/strict';
import { parse } from 'plist';
import {
  AUTH_MONITOR_PLIST_FILE,
  DAEMON_NODE_FLAGS,
  GATEWAY_LABEL,
  PLIST_FILE,
  UnitValueError,
  authMonitorPlist,
  gatewayLogPaths,
  gatewayPlist,
  launchAgentsDir,
} from '../../units/index.js';

/** The job SPEC §10 asks for, as launchd will read it. */
function expectedJob(nodePath: string, entryPath: string, stateDir: string, label = GATEWAY_LABEL): Record<string, unknown> {
  return {
    Label: label,
    ProgramArguments: [nodePath, ...DAEMON_NODE_FLAGS, entryPath, 'gateway'],
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 5,
    ExitTimeOut: 30,
    StandardOutPath: `${stateDir}/logs/gateway.stdout.log`,
    StandardErrorPath: `${stateDir}/logs/gateway.stderr.log`,
    Umask: 63,
    EnvironmentVariables: { OPENSOUL_STATE_DIR: stateDir },
    ProcessType: 'Background',
  };
}

describe('units/launchd-plist', () => {
  it('parses back to the job of SPEC §10', () => {
    const xml = gatewayPlist({ nodePath: '/usr/local/bin/node', entryPath: '/opt/os/opensoul.mjs', stateDir: '/Users/a/.opensoul' });
    assert.deepEqual(parse(xml), expectedJob('/usr/local/bin/node', '/opt/os/opensoul.mjs', '/Users/a/.opensoul'));
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist PUBLIC "-\/\/Apple\/\/DTD PLIST 1\.0\/\/EN"/);
    assert.equal(PLIST_FILE, 'ai.opensoul.gateway.plist');
  });

  it('keeps every key launchd needs with the right types (Umask an integer, RunAtLoad a boolean)', () => {
    const xml = gatewayPlist({ nodePath: '/n', entryPath: '/e', stateDir: '/s' });
    assert.match(xml, /<key>Umask<\/key>\s*<integer>63<\/integer>/);
    assert.match(xml, /<key>RunAtLoad<\/key>\s*<true\/>/);
    assert.match(xml, /<key>ThrottleInterval<\/key>\s*<integer>5<\/integer>/);
    assert.match(xml, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>\s*<\/dict>/);
  });

  it('round-trips paths with &, <, >, quotes and a CDATA terminator (XML escaping)', () => {
    const weird = `/Users/a/R&D <tools> "q" 'a' ]]> %n $HOME`;
    const opts = { nodePath: `${weird}/node`, entryPath: `${weird}/opensoul.mjs`, stateDir: `${weird}/state` };
    const xml = gatewayPlist(opts);
    assert.deepEqual(parse(xml), expectedJob(opts.nodePath, opts.entryPath, opts.stateDir));
    // The markup was escaped, not merely parsed leniently: no raw < or & inside a string.
    for (const m of xml.matchAll(/<string>([^]*?)<\/string>/g)) {
      assert.doesNotMatch(m[1]!, /<|&(?!amp;|lt;|gt;|quot;|apos;)/, `unescaped markup in ${m[1]}`);
    }
    assert.ok(xml.includes('R&amp;D &lt;tools&gt;'));
  });

  it('honours a custom label', () => {
    const xml = gatewayPlist({ nodePath: '/n', entryPath: '/e', stateDir: '/s', label: 'ai.opensoul.gateway.test' });
    assert.deepEqual(parse(xml), expectedJob('/n', '/e', '/s', 'ai.opensoul.gateway.test'));
  });

  it('contains no secret of the environment, and no environment but OPENSOUL_STATE_DIR', () => {
    const fake = { ANTHROPIC_API_KEY: 'sk-ant-api03-FAKEplistSECRETaaaaaaaaaaaaaaaaaaaaaaaa', OPENAI_API_KEY: 'sk-FAKEplistSECRETbbbbbbbbbbbbbbbb' };
    const saved = Object.fromEntries(Object.keys(fake).map((k) => [k, process.env[k]]));
    Object.assign(process.env, fake);
    try {
      const xml = gatewayPlist({ nodePath: '/n', entryPath: '/e', stateDir: '/Users/a/.opensoul' });
      assert.ok(!xml.includes('FAKEplistSECRET'), 'the plist contains a secret');
      const job = parse(xml) as Record<string, unknown>;
      assert.deepEqual(job.EnvironmentVariables, { OPENSOUL_STATE_DIR: '/Users/a/.opensoul' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('refuses relative paths, control characters and a bad label, naming the field', () => {
    const good = { nodePath: '/n', entryPath: '/e', stateDir: '/s' };
    const cases: Array<[Partial<typeof good> & { label?: string }, string, RegExp]> = [
      [{ nodePath: 'node' }, 'nodePath', /^nodePath must be an absolute path/],
      [{ entryPath: './opensoul.mjs' }, 'entryPath', /^entryPath must be an absolute path/],
      [{ stateDir: '~/.opensoul' }, 'stateDir', /^stateDir must be an absolute path/],
      [{ stateDir: '/s\n<key>Program</key>' }, 'stateDir', /^stateDir contains a newline/],
      [{ entryPath: '/e\0' }, 'entryPath', /^entryPath contains a NUL byte/],
      [{ nodePath: '/h\ufffd/node' }, 'nodePath', /^nodePath "\/h\ufffd\/node" has bytes that are not UTF-8/],
      [{ stateDir: '/h\ufffd/.opensoul' }, 'stateDir', /^stateDir ".*" has bytes that are not UTF-8/],
      [{ label: 'ai opensoul' }, 'label', /^label "ai opensoul" must be reverse-DNS/],
    ];
    for (const [override, field, message] of cases) {
      assert.throws(
        () => gatewayPlist({ ...good, ...override }),
        (err: unknown) => err instanceof UnitValueError && err.field === field && message.test(err.message),
        `${JSON.stringify(override)} was not refused as expected`,
      );
    }
  });

  it('puts the LaunchAgent and the logs where SPEC §10 says', () => {
    assert.equal(launchAgentsDir('/Users/a'), '/Users/a/Library/LaunchAgents');
    assert.deepEqual(gatewayLogPaths('/Users/a/.opensoul'), {
      stdout: '/Users/a/.opensoul/logs/gateway.stdout.log',
      stderr: '/Users/a/.opensoul/logs/gateway.stderr.log',
    });
    assert.throws(() => launchAgentsDir('Users/a'), /home must be an absolute path/);
  });
});

describe('units/launchd-plist: the auth monitor LaunchAgent', () => {
  it('runs the monitor script with absolute node and entry every 1800 s, not at load, with the state dir as its only environment', () => {
    const xml = authMonitorPlist({
      nodePath: '/usr/local/bin/node',
      entryPath: '/opt/os/dist/opensoul.cjs',
      scriptPath: '/opt/os/scripts/auth-monitor.sh',
      stateDir: '/Users/a/.opensoul',
    });
    assert.deepEqual(parse(xml), {
      Label: 'ai.opensoul.auth-monitor',
      ProgramArguments: ['/opt/os/scripts/auth-monitor.sh', '--node', '/usr/local/bin/node', '--entry', '/opt/os/dist/opensoul.cjs'],
      StartInterval: 1800,
      RunAtLoad: false,
      StandardOutPath: '/Users/a/.opensoul/logs/auth-monitor.stdout.log',
      StandardErrorPath: '/Users/a/.opensoul/logs/auth-monitor.stderr.log',
      Umask: 63,
      EnvironmentVariables: { OPENSOUL_STATE_DIR: '/Users/a/.opensoul' },
      ProcessType: 'Background',
    });
    assert.match(xml, /<key>StartInterval<\/key>\s*<integer>1800<\/integer>/);
    assert.equal(AUTH_MONITOR_PLIST_FILE, 'ai.opensoul.auth-monitor.plist');
  });

  it('refuses a relative path', () => {
    assert.throws(() => authMonitorPlist({ nodePath: 'node', entryPath: '/e', scriptPath: '/s', stateDir: '/d' }), UnitValueError);
    assert.throws(() => authMonitorPlist({ nodePath: '/n', entryPath: '/e', scriptPath: 'scripts/auth-monitor.sh', stateDir: '/d' }), UnitValueError);
  });
});
