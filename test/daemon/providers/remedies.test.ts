/** The remedy of a refused credential replaces it where it came from: its profile, or the source its env key was read from. */
import assert from 'node:assert/strict';
import { remedyFor } from '../../../daemon/providers/remedies.js';
import type { CredentialOrigin } from '../../../daemon/providers/remedies.js';

// Paths are shown with ~ for the home dir (ipc/tilde-path.ts reads HOME): a fixed one for these tests.
const HOME = '/home/someone';
const DOTENV = `${HOME}/.opensoul/.env`;
const refused = (provider: string, origin: CredentialOrigin | null) => remedyFor('auth', provider, origin) ?? '';
const env = (name: string, source: 'process' | 'dotenv' | 'config' | 'shell', path: string | null = null): CredentialOrigin => ({
  kind: 'env',
  name,
  source,
  path,
  dotenvPath: DOTENV,
});

describe('remedyFor', () => {
  const savedHome = process.env.HOME;
  before(() => (process.env.HOME = HOME));
  after(() => (savedHome === undefined ? delete process.env.HOME : (process.env.HOME = savedHome)));

  it('a refused profile is replaced at its own id (and agent), with the command for its type, or removed', () => {
    assert.equal(
      refused('openai', { kind: 'profile', id: 'openai:work', type: 'api_key' }),
      'the provider refused the credential: replace it (`opensoul models auth paste-api-key --provider openai --profile-id openai:work --force`) ' +
        'or remove it (`opensoul models auth remove openai:work`)',
    );
    const token = refused('anthropic', { kind: 'profile', id: 'anthropic:sub', type: 'token', agent: 'work' });
    assert.match(token, /`opensoul models auth paste-token --provider anthropic --profile-id anthropic:sub --agent work --force`/);
    assert.match(token, /`opensoul models auth remove anthropic:sub --agent work`/);
    assert.match(
      refused('openai-codex', { kind: 'profile', id: 'openai-codex:me', type: 'oauth' }),
      /sign in again \(`opensoul models auth login --provider openai-codex --profile-id openai-codex:me --force`\)/,
    );
    assert.match(refused('anthropic', { kind: 'profile', id: 'anthropic:claude', type: 'oauth', managedBy: 'claude-cli' }), /sign in again with `claude`/);
  });

  it('a key from .env is replaced in .env: with `--target env` when that writes this very variable, else by editing the named file', () => {
    const builtIn = refused('openai', env('OPENAI_API_KEY', 'dotenv', DOTENV));
    assert.equal(
      builtIn,
      'the provider refused the credential: replace OPENAI_API_KEY in ~/.opensoul/.env ' +
        '(`opensoul models auth paste-api-key --provider openai --target env --force`) or remove it there',
    );
    // A declared provider: `--target env` knows no variable of it, and a new profile would leave the refused key in .env.
    const declared = refused('echo', env('ECHO_KEY', 'dotenv', DOTENV));
    assert.equal(declared, 'the provider refused the credential: replace ECHO_KEY in ~/.opensoul/.env, or remove it there (the gateway reloads the file live)');
    // The second variable of a provider is not the one `--target env` writes.
    assert.doesNotMatch(refused('anthropic', env('ANTHROPIC_OAUTH_TOKEN', 'dotenv', DOTENV)), /paste-api-key/);
  });

  it("a key from the gateway's own environment is fixed there: .env cannot win over it, so no paste is advised", () => {
    const remedy = refused('openai', env('OPENAI_API_KEY', 'process'));
    assert.match(remedy, /OPENAI_API_KEY is set in the gateway's own environment, which wins over ~\/\.opensoul\/\.env and opensoul\.json/);
    assert.match(remedy, /correct or unset it where the gateway is started .* then restart it from there \(`opensoul gateway restart`\)/);
    assert.doesNotMatch(remedy, /paste-api-key|--force/);
  });

  it('a key from opensoul.json or the login shell: replaced there, or outdone by one in .env, which wins over both', () => {
    const config = refused('openai', env('OPENAI_API_KEY', 'config', `${HOME}/.opensoul/opensoul.json`));
    assert.match(
      config,
      /OPENAI_API_KEY is set in the env of ~\/\.opensoul\/opensoul\.json: replace it there, or put the new key in ~\/\.opensoul\/\.env, which wins over it/,
    );
    // .env holds no such key (else it would have been the one used): nothing to replace there, no --force.
    assert.match(config, /\(`opensoul models auth paste-api-key --provider openai --target env`\)$/);
    assert.match(
      refused('echo', env('ECHO_KEY', 'config', '/srv/opensoul.json')),
      /put the new key in ~\/\.opensoul\/\.env, which wins over it \(as ECHO_KEY=…\)/,
    );
    const shell = refused('groq', env('GROQ_API_KEY', 'shell'));
    assert.match(shell, /GROQ_API_KEY comes from your login shell: put the new key in ~\/\.opensoul\/\.env, which wins over it/);
  });

  it('billing: only a profile is set aside for hours (an env key has no usage state); a credential no longer found gets a general remedy', () => {
    assert.match(remedyFor('billing', 'openai', { kind: 'profile', id: 'openai:a', type: 'api_key' }) ?? '', /set aside for hours/);
    assert.doesNotMatch(remedyFor('billing', 'openai', env('OPENAI_API_KEY', 'dotenv', DOTENV)) ?? '', /set aside/);
    assert.equal(refused('openai', null), 'the provider refused the credential: replace it or remove it (`opensoul models status` shows where it comes from)');
    assert.equal(remedyFor('rate_limit', 'openai', null), null);
  });
});
