/** ipc/protocol, validate, errors: the method table is complete, validators refuse bad params without echoing values. */
import assert from 'node:assert/strict';
import { describe as describeError, errorKinds, kindOfRpcCode, OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { ValidationError } from '../../ipc/validate.js';

const SPEC_METHODS = [
  'gateway.hello',
  'gateway.status',
  'gateway.reload',
  'gateway.shutdown',
  'models.status',
  'auth.list',
  'auth.upsert',
  'auth.remove',
  'auth.order.get',
  'auth.order.set',
  'auth.order.clear',
  'env.set',
  'env.unset',
  'import.openclaw',
  'auth.resolve',
  'auth.report',
  'session.command',
  'chat.send',
  'doctor.run',
  'events.subscribe',
];
/**
 * Beyond the table: cancelling a running turn, what `opensoul exec` hands its child, the OAuth login
 * (`models auth login`), adopting another CLI's sign-in (`--method cli`), and the local proxy's keys
 * and environment.
 */
const EXTRA_METHODS = [
  'chat.cancel',
  'exec.credentials',
  'auth.login.start',
  'auth.login.complete',
  'auth.login.cancel',
  'auth.adopt',
  'proxy.key.create',
  'proxy.key.list',
  'proxy.key.revoke',
  'proxy.key.hold',
  'proxy.env',
];

describe('ipc/protocol', () => {
  it('declares every method of SPEC §6 exactly once', () => {
    const names = Object.values(methods).map((m) => m.name);
    assert.deepEqual([...names].sort(), [...SPEC_METHODS, ...EXTRA_METHODS].sort());
    assert.equal(new Set(names).size, names.length);
  });

  it('each method lists error kinds that exist, and its validator is where its params type comes from', () => {
    for (const m of Object.values(methods)) {
      for (const kind of m.errors) assert.ok(kind in errorKinds, `${m.name}: ${kind}`);
    }
    // A field the validator does not know is refused at run time, and (the type being derived
    // from the validator) cannot be written in a typed call either.
    assert.throws(() => methods.chatSend.params({ session: 's', message: 'hi', temperature: 1 }, 'params'), ValidationError);
    assert.throws(() => methods.authReport.params({ profileId: 'anthropic:a', outcome: 'nope' }, 'params'), ValidationError);
    assert.deepEqual(methods.authReport.params({ profileId: 'anthropic:a', outcome: 'model_not_found', retryAfterMs: 1000 }, 'params'), {
      profileId: 'anthropic:a',
      outcome: 'model_not_found',
      retryAfterMs: 1000,
    });
    assert.throws(() => methods.sessionCommand.params({ session: 'a\u0007b', line: '/model' }, 'params'), ValidationError);
  });

  it('validates params: unknown properties, wrong types and bad ids are refused by path, never by value', () => {
    assert.deepEqual(methods.modelsStatus.params(undefined, 'params'), {});
    assert.deepEqual(methods.modelsStatus.params({ agent: 'work' }, 'params'), { agent: 'work' });
    const refuse = (value: unknown, path: RegExp) =>
      assert.throws(
        () => methods.modelsStatus.params(value, 'params'),
        (err: unknown) => err instanceof ValidationError && path.test(err.path) && !err.message.includes('SECRETVALUE'),
      );
    refuse({ agent: 'SECRETVALUE/..' }, /params\.agent/);
    refuse({ agent: 7 }, /params\.agent/);
    refuse({ nope: 'SECRETVALUE' }, /params\.nope/);
    refuse('SECRETVALUE', /params/);
    assert.deepEqual(methods.gatewayStatus.params([], 'params'), {});
    assert.throws(() => methods.gatewayStatus.params({ x: 1 }, 'params'), ValidationError);
  });

  it('takes each credential shape for auth.upsert and refuses a mix', () => {
    const ok = methods.authUpsert.params({ profileId: 'anthropic:work', credential: { type: 'token', token: 'sk-ant-oat01-x', expires: 1 } }, 'params');
    assert.equal(ok.credential.type, 'token');
    assert.throws(() => methods.authUpsert.params({ profileId: 'anthropic:work', credential: { type: 'token', key: 'x' } }, 'params'), ValidationError);
    assert.throws(() => methods.authUpsert.params({ profileId: 'no-colon', credential: { type: 'api_key', key: 'x' } }, 'params'), ValidationError);
  });
});

describe('ipc/errors', () => {
  it('gives every wire error kind a distinct JSON-RPC code and a message with a next step', () => {
    const codes = Object.values(errorKinds)
      .map((k) => k.rpcCode)
      .filter((c) => c !== null);
    assert.equal(new Set(codes).size, codes.length);
    for (const [kind, spec] of Object.entries(errorKinds)) {
      if (spec.rpcCode !== null) assert.equal(kindOfRpcCode(spec.rpcCode), kind);
    }
    assert.match(describeError('STORE_INVALID', { path: '/s/a.json', position: 'line 2, column 3' }), /line 2, column 3.*fix it by hand/);
    assert.match(describeError('DAEMON_UNREACHABLE', { reason: 'stale-socket', socket: '/s.sock' }), /stale socket.*\/s\.sock.*opensoul gateway/);
    assert.match(
      describeError('NO_CREDENTIALS', { provider: 'anthropic', agent: 'main', store: '/x' }),
      /^No credentials found for provider "anthropic" \(agent main, store \/x\)\./,
    );
  });
  it('maps kinds to the exit codes of §7', () => {
    assert.equal(new OpenSoulError('DAEMON_UNREACHABLE').exitCode, 3);
    assert.equal(new OpenSoulError('USAGE').exitCode, 64);
    assert.equal(new OpenSoulError('PROFILE_NOT_FOUND').exitCode, 1);
    assert.equal(new OpenSoulError('LOCKED').exitCode, 1);
  });
});
