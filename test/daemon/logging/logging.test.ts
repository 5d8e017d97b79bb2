// Tests of daemon/logging: the secret registry, the rotating file transport and the logger
// (SPEC §3 logs/gateway.log, §12 "no secret in a log line").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { LOG_LEVEL_ENV, createLogger } from '../../../daemon/logging/logger.js';
import type { Logger, LoggerOptions } from '../../../daemon/logging/logger.js';
import { RotatingFile } from '../../../daemon/logging/rotating-file.js';
import { generateProxyKey } from '../../../daemon/proxy/proxy-keys.js';
import { MIN_SECRET_LENGTH, REDACTED, SecretRegistry, worthRegistering } from '../../../daemon/logging/secret-registry.js';

// Fake secrets. SECRET and REFRESH match none of the built-in patterns, so only the registry
// can catch them: a test that passes proves the registry did its job.
const SECRET = 'tok_FAKE_9f8e7d6c5b4a3928_opensoul';
const REFRESH = 'rt.FAKE.v1.Zm9vYmFyYmF6cXV4.test';
// A quote, a backslash, a newline and regex metacharacters; long enough that util.inspect
// splits it at the newline when it prints it inside an object.
const WEIRD = 'we"ird\\pa$$(word)\nsecond-line-of-the-FAKE-secret-0042';
// Unregistered, caught only by pattern.
const UNREGISTERED_ANTHROPIC = 'sk-ant-api03-FAKEfake0123456789abcdefABCDEF-xyz';
const UNREGISTERED_BEARER = 'eyJhbGciOiJIUzI1NiJ9.FAKEpayload.FAKEsignature';
const UNREGISTERED_GOOGLE = 'AIzaSyFAKE0123456789abcdefghijklmnopq';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const jsonEscaped = (value: string): string => JSON.stringify(value).slice(1, -1);

function assertNoSecret(text: string, secret: string): void {
  assert.ok(!text.includes(secret), `raw secret ${JSON.stringify(secret)} found in:\n${text}`);
  assert.ok(!text.includes(jsonEscaped(secret)), `JSON-escaped secret ${JSON.stringify(secret)} found in:\n${text}`);
}

type LogRecord = Record<string, unknown>;

let tmp = '';
let openLoggers: Logger[] = [];
let openTransports: RotatingFile[] = [];
let savedLevelEnv: string | undefined;
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to be put back on process.stderr
const originalStderrWrite = process.stderr.write;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opensoul-logging-'));
  savedLevelEnv = process.env[LOG_LEVEL_ENV];
  delete process.env[LOG_LEVEL_ENV];
});

afterEach(async () => {
  // Runs even when a test failed: stop stubbing stderr, close what is open, remove temp dirs.
  process.stderr.write = originalStderrWrite;
  if (savedLevelEnv === undefined) delete process.env[LOG_LEVEL_ENV];
  else process.env[LOG_LEVEL_ENV] = savedLevelEnv;
  await Promise.all(openLoggers.map((log) => log.close()));
  for (const transport of openTransports) transport.close();
  openLoggers = [];
  openTransports = [];
  fs.rmSync(tmp, { recursive: true, force: true });
});

function logFile(): string {
  return path.join(tmp, 'state', 'logs', 'gateway.log');
}

function openLogger(options: Partial<LoggerOptions> & { secrets: SecretRegistry }): Logger {
  const log = createLogger({ file: logFile(), stderr: false, ...options });
  openLoggers.push(log);
  return log;
}

function openTransport(file: string, options: { maxBytes?: number; keep?: number } = {}): RotatingFile {
  const transport = new RotatingFile({ file, ...options });
  openTransports.push(transport);
  return transport;
}

function writeLine(transport: RotatingFile, line: string): void {
  transport.write(line);
}

function readRecords(file = logFile()): { text: string; records: LogRecord[] } {
  const text = fs.readFileSync(file, 'utf8');
  const records = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogRecord);
  return { text, records };
}

async function logAndRead(secrets: SecretRegistry, act: (log: Logger) => void): Promise<{ text: string; records: LogRecord[] }> {
  const log = openLogger({ secrets });
  act(log);
  await log.close();
  return readRecords();
}

const modeOf = (file: string): number => fs.statSync(file).mode & 0o777;

describe('daemon/logging', () => {
  describe('SecretRegistry', () => {
    it('registers exact values, ignores short ones, and reports only membership and size', () => {
      const registry = new SecretRegistry();
      registry.register('abc');
      registry.register('x'.repeat(MIN_SECRET_LENGTH - 1));
      assert.equal(registry.size, 0);
      registry.registerAll(['  padded-secret  ', SECRET, SECRET]);
      assert.equal(registry.size, 2);
      assert.ok(registry.has('  padded-secret  '));
      assert.ok(!registry.has('padded-secret'), 'values are not trimmed');
      assert.equal(registry.redact('x  padded-secret  y'), `x${REDACTED}y`);
      assert.equal(registry.redact('short abc stays'), 'short abc stays');
    });

    it('does not register ordinary words (`changed`, `production`, `watch-mode`), only values a credential could be', () => {
      const registry = new SecretRegistry();
      for (const word of ['changed', 'production', 'watch-mode', 'US_EAST_ONE', 'reloaded.dotenv', 'Changed']) registry.register(word);
      assert.equal(registry.size, 0);
      for (const value of ['Passw0rd!', 'correcthorsebatterystaplezz', 'hunter2hunter2', SECRET]) registry.register(value);
      assert.equal(registry.size, 4);
      assert.equal(registry.redact('"changed":["/x/.env"],"trigger":"watch"'), '"changed":["/x/.env"],"trigger":"watch"');
    });

    it('redacts the values of a JSON line, never its keys, even when a key equals a secret', () => {
      const registry = new SecretRegistry();
      registry.registerAll(['changedX1', SECRET]);
      const line = JSON.stringify({ level: 'info', message: `reloaded changedX1`, changedX1: ['changedX1', `a "${SECRET}" b`], trigger: 'watch' });
      const out = registry.redactJsonLine(line);
      assert.deepEqual(JSON.parse(out), { level: 'info', message: `reloaded ${REDACTED}`, changedX1: [REDACTED, `a "${REDACTED}" b`], trigger: 'watch' });
      assert.equal(registry.redactJsonLine('{"a":"plain"}'), '{"a":"plain"}');
      assert.equal(registry.redactJsonLine(`not json ${SECRET}`), `not json ${REDACTED}`);
    });

    it('never shows its values through inspect, JSON or enumeration', () => {
      const registry = new SecretRegistry();
      registry.registerAll([SECRET, WEIRD]);
      const views = [inspect(registry, { showHidden: true, depth: 10 }), JSON.stringify(registry), Object.keys(registry).join(',')];
      for (const view of views) {
        assertNoSecret(view, SECRET);
        assertNoSecret(view, WEIRD);
      }
      assert.match(inspect(registry), /size: 2/);
    });

    it('replaces raw, JSON-escaped and URL-encoded forms, longest secret first', () => {
      const registry = new SecretRegistry();
      const inner = 'abcdef123456';
      const outer = `${inner}-and-more-789`;
      const slashy = 'r/t+FAKE=secret/v1';
      registry.registerAll([inner, outer, WEIRD, slashy]);
      assert.equal(registry.redact(`a ${outer} b ${inner} c`), `a ${REDACTED} b ${REDACTED} c`);
      assert.equal(registry.redact(JSON.stringify({ v: `<${WEIRD}>` })), `{"v":"<${REDACTED}>"}`);
      assert.equal(
        registry.redact(`grant_type=refresh_token&refresh_token=${encodeURIComponent(slashy)}`),
        `grant_type=refresh_token&refresh_token=${REDACTED}`,
      );
    });

    it('picks up secrets registered after it has already redacted', () => {
      const registry = new SecretRegistry();
      registry.register(SECRET);
      assert.equal(registry.redact(`${SECRET} ${REFRESH}`), `${REDACTED} ${REFRESH}`);
      registry.register(REFRESH);
      assert.equal(registry.redact(`${SECRET} ${REFRESH}`), `${REDACTED} ${REDACTED}`);
    });

    it('rescans when a marker and the text beside it spell a secret again', () => {
      const registry = new SecretRegistry();
      registry.register('ED]!ab12'); // ends like the marker begins
      const out = registry.redact('sk-FAKEFAKEFAKEFAKEFAKE!ab12 ED]!ab12');
      assert.ok(!out.includes('ED]!ab12'), out);
      registry.register('REDACT'); // part of the marker itself: cannot be scrubbed, so refused
      assert.ok(!registry.has('REDACT'));
    });

    const patternCases: Array<[string, string, string]> = [
      ['Anthropic key', `key=${UNREGISTERED_ANTHROPIC};`, `key=${REDACTED};`],
      ['Anthropic setup-token (short)', 'token sk-ant-oat01-ABCDEFGH ok', `token ${REDACTED} ok`],
      ['OpenAI project key', 'use sk-proj-FAKE0123456789abcdefXYZ now', `use ${REDACTED} now`],
      ['OpenAI legacy key', '"sk-FAKE0123456789abcdef"', `"${REDACTED}"`],
      ['OpenRouter key', 'sk-or-v1-0123456789abcdef0123456789abcdef', REDACTED],
      ['Bearer token (scheme kept)', `Authorization: Bearer ${UNREGISTERED_BEARER}`, `Authorization: Bearer ${REDACTED}`],
      ['lower-case bearer', `authorization: bearer ${UNREGISTERED_BEARER}`, `authorization: bearer ${REDACTED}`],
      ['Basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', `Authorization: Basic ${REDACTED}`],
      ['xAI key', 'xai-FAKE0123456789abcdefghijklmnop', REDACTED],
      ['Groq key', '(gsk_FAKE0123456789abcdefghijkl)', `(${REDACTED})`],
      ['GitHub classic token', 'ghp_FAKE0123456789abcdefghijklmnopqrstuv', REDACTED],
      ['GitHub OAuth token', 'gho_FAKE0123456789abcdefghijklmnopqrstuv', REDACTED],
      ['GitHub fine-grained token', 'github_pat_11FAKE0123456789_abcdefghijklmnop', REDACTED],
      ['Google API key', `key ${UNREGISTERED_GOOGLE} for google`, `key ${REDACTED} for google`],
      ['OpenSoul proxy key', `x-api-key: osk-${'F4kE'.repeat(10)}0a9 sent`, `x-api-key: ${REDACTED} sent`],
    ];
    for (const [name, input, expected] of patternCases) {
      it(`redacts an unregistered ${name} by pattern`, () => {
        assert.equal(new SecretRegistry().redact(input), expected);
      });
    }

    it('redacts a freshly generated proxy key by pattern (the shape stays in step with proxy-keys.ts)', () => {
      for (let n = 0; n < 50; n++) assert.equal(new SecretRegistry().redact(`key=${generateProxyKey()};`), `key=${REDACTED};`);
    });

    it('leaves ordinary text that merely resembles a prefix alone', () => {
      const registry = new SecretRegistry();
      for (const text of [
        'task-manager-configuration-file loaded',
        'ask-for-permission-again-later',
        'sk-short',
        'Bearer',
        'bearer tokens',
        'profile anthropic:default ok',
        '{"level":"info","message":"refresh ok","profile":"openai:work"}',
      ]) {
        assert.equal(registry.redact(text), text);
      }
    });

    it('property: a registered secret never survives redaction, raw or JSON-escaped', () => {
      const special = [
        '"',
        '\\',
        '\n',
        '\r',
        '\t',
        "'",
        '`',
        '[',
        ']',
        '%',
        '$',
        '(',
        '|',
        '/',
        '+',
        '=',
        '\u0000',
        '\u2028',
        'é',
        '中',
        '€',
        '😀',
        '\ud800',
        'E',
        'D',
      ];
      const unit = fc.oneof(fc.constantFrom(...special), fc.constantFrom(...'abcXYZ0189-_ '.split('')));
      const secretArbitrary = fc.string({ unit, minLength: MIN_SECRET_LENGTH, maxLength: 80 });
      const textArbitrary = fc.string({ unit, maxLength: 60 });
      fc.assert(
        fc.property(secretArbitrary, textArbitrary, textArbitrary, (secret, before, after) => {
          fc.pre(!REDACTED.includes(secret) && worthRegistering(secret));
          const registry = new SecretRegistry();
          registry.registerAll([secret, 'decoy-Secret-value-0']);
          const embedded = `${before}${secret}${after}`;
          const line = JSON.stringify({ message: embedded, nested: [secret] });
          for (const out of [registry.redact(embedded), registry.redact(line), registry.redactJsonLine(line)]) {
            if (out.includes(secret) || out.includes(jsonEscaped(secret))) return false;
            if (!out.includes(REDACTED)) return false;
          }
          return true;
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('createLogger redaction', () => {
    interface RedactionCase {
      name: string;
      secrets: string[];
      mustNotAppear?: string[];
      act: (log: Logger) => void;
      survives: string[];
    }
    const upstream = new Error(`upstream rejected ${SECRET}`);
    upstream.stack = `Error: upstream rejected ${SECRET}\n    at refresh (oauth.ts:42:7) with ${REFRESH}`;
    const cases: RedactionCase[] = [
      {
        name: 'a registered secret in the message',
        secrets: [SECRET],
        act: (log) => log.info(`loaded key ${SECRET} for anthropic:default`),
        survives: [`loaded key ${REDACTED} for anthropic:default`],
      },
      {
        name: 'a secret in a metadata field (a message with %s is written as it is: values go in meta)',
        secrets: [SECRET],
        act: (log) => log.info('profile %s refreshed', { access: SECRET }),
        survives: ['profile %s refreshed', `"access":"${REDACTED}"`],
      },
      {
        name: 'a metadata value holding a secret with a quote, backslash and newline',
        secrets: [WEIRD],
        act: (log) => log.info('env value %s loaded', { value: WEIRD, source: 'dotenv' }),
        survives: ['env value', 'loaded', 'dotenv', REDACTED],
      },
      {
        name: 'nested metadata',
        secrets: [SECRET, REFRESH],
        act: (log) =>
          log.info('store loaded', {
            agent: 'main',
            profiles: { 'anthropic:work': { type: 'oauth', access: SECRET, refresh: REFRESH, scopes: ['user:inference'] } },
            deeper: [[{ token: SECRET }]],
          }),
        survives: ['store loaded', 'anthropic:work', 'user:inference', '"agent":"main"'],
      },
      {
        name: 'headers.authorization',
        secrets: [SECRET],
        act: (log) =>
          log.info('probe request', {
            url: 'https://api.anthropic.com/v1/models',
            headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, 'content-type': 'application/json' },
          }),
        survives: ['https://api.anthropic.com/v1/models', `"authorization":"Bearer ${REDACTED}"`, 'application/json'],
      },
      {
        name: 'an Error whose message, stack and cause hold the secret',
        secrets: [SECRET, REFRESH],
        act: (log) => log.error('refresh failed', { err: new Error(`HTTP 401 for token ${SECRET}`, { cause: upstream }), profile: 'anthropic:work' }),
        survives: ['refresh failed', `HTTP 401 for token ${REDACTED}`, `upstream rejected ${REDACTED}`, 'at refresh (oauth.ts:42:7)', 'anthropic:work'],
      },
      {
        name: 'a registered secret containing ", \\ and a newline',
        secrets: [WEIRD],
        act: (log) => {
          log.warn(`odd value ${WEIRD} seen`);
          log.warn('odd meta', { value: WEIRD, nested: { again: `pre ${WEIRD} post` } });
        },
        survives: [`odd value ${REDACTED} seen`, `pre ${REDACTED} post`],
      },
      {
        name: 'unregistered sk-ant-…, Bearer … and AIza… values',
        secrets: [],
        mustNotAppear: [UNREGISTERED_ANTHROPIC, UNREGISTERED_BEARER, UNREGISTERED_GOOGLE],
        act: (log) => {
          log.info(`key from paste: ${UNREGISTERED_ANTHROPIC} accepted`);
          log.info('upstream call', { headers: { Authorization: `Bearer ${UNREGISTERED_BEARER}` } });
          log.info('gemini probe %s', { key: UNREGISTERED_GOOGLE });
        },
        survives: [`key from paste: ${REDACTED} accepted`, `Bearer ${REDACTED}`, 'gemini probe'],
      },
    ];

    for (const testCase of cases) {
      it(`keeps ${testCase.name} out of the log file`, async () => {
        const secrets = new SecretRegistry();
        secrets.registerAll(testCase.secrets);
        const { text, records } = await logAndRead(secrets, testCase.act);
        assert.ok(records.length > 0, 'something was logged');
        for (const secret of testCase.mustNotAppear ?? testCase.secrets) assertNoSecret(text, secret);
        for (const fragment of testCase.survives) assert.ok(text.includes(fragment), `expected ${JSON.stringify(fragment)} in:\n${text}`);
      });
    }

    it('keeps the keys of every line when a secret equals a key: a reload line still reads "changed", not "[REDACTED]"', async () => {
      const secrets = new SecretRegistry();
      secrets.register('changedX1');
      const { records } = await logAndRead(secrets, (log) => {
        log.info('reloaded', { trigger: 'watch', changedX1: ['/s/.env'] });
        log.info('value', { trigger: 'changedX1' });
      });
      assert.deepEqual(Object.keys(records[0] ?? {}), ['level', 'message', 'timestamp', 'trigger', 'changedX1']);
      assert.equal(records[1]?.trigger, REDACTED);
      assert.ok(records.every((r) => !Object.keys(r).includes(REDACTED)));
    });

    it('serializes nested Errors with name, message, stack and cause', async () => {
      const secrets = new SecretRegistry();
      secrets.register(SECRET);
      const err = Object.assign(new TypeError(`bad ${SECRET}`, { cause: new Error('root cause') }), { code: 'E_FAKE' });
      const { records } = await logAndRead(secrets, (log) => log.error('failed', { err }));
      const logged = records[0]?.err as { name: string; message: string; stack: string; code: string; cause: { message: string; stack: string } };
      assert.equal(logged.name, 'TypeError');
      assert.equal(logged.message, `bad ${REDACTED}`);
      assert.match(logged.stack, /^TypeError: bad \[REDACTED\]\n\s+at /);
      assert.equal(logged.code, 'E_FAKE');
      assert.equal(logged.cause.message, 'root cause');
      assert.match(logged.cause.stack, /^Error: root cause\n/);
    });

    it('logs binary data as its size, never as bytes', async () => {
      const secrets = new SecretRegistry();
      secrets.register(SECRET);
      const bytes = Buffer.from(SECRET);
      const { text, records } = await logAndRead(secrets, (log) => log.info('read file', { raw: bytes }));
      assert.equal(records[0]?.raw, `[Buffer ${bytes.length} bytes]`);
      assert.ok(!text.includes(JSON.stringify([...bytes]).slice(1, -1)));
    });

    it('mirrors the same redacted JSON lines to stderr when asked', async () => {
      const secrets = new SecretRegistry();
      secrets.register(SECRET);
      const mirrored: string[] = [];
      const capture = (chunk: string | Uint8Array): boolean => {
        mirrored.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      };
      process.stderr.write = capture;
      const log = openLogger({ secrets, stderr: true });
      log.info(`using ${SECRET}`, { profile: 'anthropic:default' });
      log.error('probe failed', { err: new Error(SECRET) });
      await log.close();
      process.stderr.write = originalStderrWrite;
      const { text } = readRecords();
      assert.equal(mirrored.join(''), text);
      assertNoSecret(mirrored.join(''), SECRET);
      assert.equal(mirrored.length, 2);
    });

    it('stops mirroring when stderr fails instead of throwing (in a child process)', () => {
      // A child, because emitting 'error' on this process's own stderr would disturb whatever
      // else is piped into it during the test run.
      const file = logFile();
      const script = `
        const { createLogger } = await import(process.env.LOGGER_URL);
        const { SecretRegistry } = await import(process.env.REGISTRY_URL);
        const log = createLogger({ file: process.env.LOG_FILE, stderr: true, secrets: new SecretRegistry() });
        log.info('before');
        process.stderr.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        log.info('after');
        const listenersBefore = process.stderr.listenerCount('error');
        await log.close();
        process.stdout.write(JSON.stringify({ listenersBefore, listenersAfter: process.stderr.listenerCount('error') }));
      `;
      const moduleUrl = (name: string): string => pathToFileURL(path.join(repoRoot, 'daemon', 'logging', name)).href;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, LOGGER_URL: moduleUrl('logger.ts'), REGISTRY_URL: moduleUrl('secret-registry.ts'), LOG_FILE: file },
      });
      assert.equal(child.status, 0, `child failed: ${child.stderr}`);
      const mirrored = child.stderr.split('\n').filter((line) => line.startsWith('{'));
      assert.deepEqual(
        mirrored.map((line) => (JSON.parse(line) as LogRecord).message),
        ['before'],
      );
      assert.deepEqual(
        readRecords(file).records.map((r) => r.message),
        ['before', 'after'],
      );
      const counts = JSON.parse(child.stdout) as { listenersBefore: number; listenersAfter: number };
      assert.equal(counts.listenersAfter, counts.listenersBefore - 1, 'close() removes its stderr listener');
    });
  });

  describe('createLogger lines and levels', () => {
    it('writes JSON lines: level, message, timestamp first, then meta', async () => {
      const { records } = await logAndRead(new SecretRegistry(), (log) => log.info('started', { pid: 42, socket: '/run/x.sock' }));
      assert.equal(records.length, 1);
      assert.deepEqual(Object.keys(records[0]!), ['level', 'message', 'timestamp', 'pid', 'socket']);
      assert.equal(records[0]!.level, 'info');
      assert.ok(!Number.isNaN(Date.parse(String(records[0]!.timestamp))));
    });

    it('keeps metadata from overwriting level, message or timestamp', async () => {
      const { records } = await logAndRead(new SecretRegistry(), (log) =>
        log.info('main text', { message: 'detail', level: 'error', timestamp: 'fake', agent: 'main' }),
      );
      const record = records[0]!;
      assert.equal(record.level, 'info');
      assert.equal(record.message, 'main text');
      assert.notEqual(record.timestamp, 'fake');
      assert.deepEqual([record['meta.message'], record['meta.level'], record['meta.timestamp'], record.agent], ['detail', 'error', 'fake', 'main']);
    });

    it('defaults to info, honours opts.level, and lets OPENSOUL_LOG_LEVEL override it', async () => {
      const secrets = new SecretRegistry();
      let log = openLogger({ secrets });
      log.debug('hidden debug');
      log.info('shown info');
      await log.close();
      assert.deepEqual(
        readRecords().records.map((r) => r.message),
        ['shown info'],
      );

      fs.rmSync(logFile());
      log = openLogger({ secrets, level: 'warn' });
      log.info('hidden info');
      log.warn('shown warn');
      await log.close();
      assert.deepEqual(
        readRecords().records.map((r) => r.message),
        ['shown warn'],
      );

      fs.rmSync(logFile());
      process.env[LOG_LEVEL_ENV] = ' DEBUG ';
      log = openLogger({ secrets, level: 'error' });
      log.debug('shown debug');
      await log.close();
      assert.deepEqual(
        readRecords().records.map((r) => r.message),
        ['shown debug'],
      );
    });

    it('ignores an unknown OPENSOUL_LOG_LEVEL with a warning', async () => {
      process.env[LOG_LEVEL_ENV] = 'loud';
      const { records } = await logAndRead(new SecretRegistry(), (log) => {
        log.debug('hidden debug');
        log.info('shown info');
      });
      assert.equal(records.length, 2);
      assert.equal(records[0]!.level, 'warn');
      assert.match(String(records[0]!.message), /OPENSOUL_LOG_LEVEL/);
      assert.equal(records[1]!.message, 'shown info');
    });

    it('survives metadata that throws while it is formatted', async () => {
      const secrets = new SecretRegistry();
      secrets.register(SECRET);
      const hostile = {
        get boom(): string {
          throw new Error(`getter saw ${SECRET}`);
        },
      };
      const { text, records } = await logAndRead(secrets, (log) => {
        assert.doesNotThrow(() => log.info('hostile meta', hostile));
        log.info('still logging');
      });
      assertNoSecret(text, SECRET);
      assert.equal(records.at(-1)?.message, 'still logging');
      assert.ok(records.some((r) => r.level === 'error' && String(r.message).includes('dropped')));
    });

    it('drops lines logged after close without throwing, and close is idempotent', async () => {
      const log = openLogger({ secrets: new SecretRegistry() });
      log.info('kept');
      const first = log.close();
      assert.doesNotThrow(() => log.info('too late'));
      await first;
      await log.close();
      assert.deepEqual(
        readRecords().records.map((r) => r.message),
        ['kept'],
      );
    });
  });

  describe('rotation and the log file', () => {
    it('loses no line in a burst of 10,000 and keeps exactly gateway.log + 3 rotated files, 0600 in a 0700 dir', async () => {
      const maxBytes = 64 * 1024;
      const log = openLogger({ secrets: new SecretRegistry(), maxBytes, keep: 3 });
      for (let i = 0; i < 10_000; i++) log.info('burst line', { i, pad: 'x'.repeat(40) });
      await log.close();

      const dir = path.dirname(logFile());
      assert.deepEqual(fs.readdirSync(dir).sort(), ['gateway.log', 'gateway.log.1', 'gateway.log.2', 'gateway.log.3']);
      assert.equal(modeOf(dir), 0o700);
      const indices: number[] = [];
      for (const name of ['gateway.log.3', 'gateway.log.2', 'gateway.log.1', 'gateway.log']) {
        const file = path.join(dir, name);
        assert.equal(modeOf(file), 0o600, name);
        assert.ok(fs.statSync(file).size <= maxBytes, `${name} is over maxBytes`);
        const { records } = readRecords(file);
        assert.ok(records.length > 0, `${name} is empty`);
        indices.push(...records.map((r) => r.i as number));
      }
      assert.equal(indices.at(-1), 9999, 'the newest line is the last one written');
      assert.ok(
        readRecords().records.some((r) => r.i === 9999),
        'the newest line is in gateway.log',
      );
      for (let k = 1; k < indices.length; k++) {
        assert.equal(indices[k], indices[k - 1]! + 1, `gap or reorder at position ${k}`);
      }
      // 10,000 lines of ~110 bytes do not fit in 4 × 64 KiB, so rotation must have happened
      // many times, and the oldest kept line comes from well into the burst.
      assert.ok(indices[0]! > 0);
    });

    it('rotates at open when the existing file is already over maxBytes', () => {
      const file = logFile();
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const old = 'old line\n'.repeat(300);
      fs.writeFileSync(file, old, { mode: 0o600 });
      const transport = openTransport(file, { maxBytes: 1024 });
      assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), old);
      assert.equal(fs.statSync(file).size, 0);
      writeLine(transport, 'new line');
      assert.equal(fs.readFileSync(file, 'utf8'), 'new line\n');
      assert.equal(transport.errors, 0);
    });

    it('narrows an existing wider file to 0600 and keeps its content', () => {
      const file = logFile();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'earlier\n');
      fs.chmodSync(file, 0o644);
      const transport = openTransport(file);
      assert.equal(modeOf(file), 0o600);
      writeLine(transport, 'later');
      assert.equal(fs.readFileSync(file, 'utf8'), 'earlier\nlater\n');
    });

    it('recreates a deleted logs directory and the next line lands', async () => {
      const log = openLogger({ secrets: new SecretRegistry() });
      log.info('before deletion');
      const dir = path.dirname(logFile());
      fs.rmSync(dir, { recursive: true, force: true });
      log.info('after deletion');
      await log.close();
      assert.equal(modeOf(dir), 0o700);
      assert.equal(modeOf(logFile()), 0o600);
      assert.deepEqual(
        readRecords().records.map((r) => r.message),
        ['after deletion'],
      );
    });

    it('never throws on a write error: drops the line, counts it, and recovers later', () => {
      const blocker = path.join(tmp, 'blocker');
      fs.writeFileSync(blocker, ''); // a file where the logs directory should be
      const file = path.join(blocker, 'logs', 'gateway.log');
      const transport = openTransport(file);
      assert.equal(transport.errors, 1, 'the failed open at construction is counted');
      assert.doesNotThrow(() => transport.write('lost'));
      assert.equal(transport.errors, 2);
      fs.rmSync(blocker);
      writeLine(transport, 'recovered');
      assert.equal(fs.readFileSync(file, 'utf8'), 'recovered\n');
      assert.equal(transport.errors, 2);
    });

    it('refuses nonsense sizes', () => {
      assert.throws(() => new RotatingFile({ file: logFile(), maxBytes: 0 }), RangeError);
      assert.throws(() => new RotatingFile({ file: logFile(), keep: -1 }), RangeError);
    });
  });
});
