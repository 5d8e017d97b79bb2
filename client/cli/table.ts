/**
 * The command table: every command, its flags, arguments, help and the module that runs it —
 * the only definition of the `opensoul` command line (SPEC §7). The launcher parses with it,
 * help and completion are generated from it, and only the module of the command that runs is
 * loaded (each `run.module` is its own file in dist/cli/).
 */
import type { CommandSpec, FlagSpec } from './spec.js';

const json = (description = 'print one JSON document'): FlagSpec => ({ long: 'json', kind: 'bool', description });
const agent = (description = 'the agent (default: the configured default agent)'): FlagSpec => ({ long: 'agent', kind: 'value', value: 'id', description });
const force = (description = 'replace a different secret already stored there (a terminal asks instead)'): FlagSpec => ({
  long: 'force',
  kind: 'bool',
  description,
});
const provider = (description: string, required = true): FlagSpec => ({
  long: 'provider',
  kind: 'value',
  value: 'provider',
  description,
  complete: 'provider',
  ...(required ? { required } : {}),
});

const CHAT_HELP = `
In the chat:
  /model                        the current model and a numbered list to pick from
  /model status                 every provider's credentials, in the order they are tried
  /model sonnet                 switch this session's model (clears a pin)
  /model sonnet@anthropic:work  switch and pin that credential for this session
  /exit, /quit, Ctrl-D          leave
  Ctrl-C                        cancel the reply being written; again to leave (exit 130)

Each reply ends with a line naming the model and the credential that answered, and any that
failed over before it. Not on a terminal, lines are read from stdin (no prompt), so it scripts:
  printf '%s\\n' '/model sonnet' 'Say hi' | opensoul chat
Exit code: 0; 1 when reading a script and any line failed; 130 after Ctrl-C, 143 on SIGTERM.
--json: one JSON line per turn (the whole result: reply, model, credential, attempts), one
{reply, session} line per command, {error: {code, message}} for a failure; no streamed text.

Examples:
  opensoul chat
  opensoul chat --session work --model openai/gpt-4o
  opensoul chat --model sonnet@anthropic:work`;

const EXEC_HELP = `
Examples:
  opensoul exec -- claude                       # Claude Code with your Anthropic credential
  opensoul exec --provider openai -- python app.py
  opensoul exec --provider anthropic,openai -- npm test
  opensoul exec --print-names                   # which variables it would set, no values
  opensoul exec --proxy -- claude               # through the local proxy: the tool never holds a real key

Each credential goes into the variable its provider's tools read: an API key into the
provider's own (ANTHROPIC_API_KEY, OPENAI_API_KEY, …), an Anthropic setup-token into
CLAUDE_CODE_OAUTH_TOKEN; your own variables for that credential are not passed on (a tool
would prefer them). Values reach the command's environment only: never argv, the
terminal or a file. The command runs without a shell (write \`-- sh -c '…'\` for one); its
exit code is opensoul's, and a signal that ends it ends opensoul alike. 127: command not
found; 126: not executable.`;

const COMPLETION_HELP = `
Examples:
  source <(opensoul completion bash)      # in ~/.bashrc
  source <(opensoul completion zsh)       # in ~/.zshrc
  opensoul completion fish > ~/.config/fish/completions/opensoul.fish`;

const ORDER_FLAGS: readonly FlagSpec[] = [provider('the provider'), agent(), json()];

const MODELS_STATUS_FLAGS: readonly FlagSpec[] = [
  agent(),
  json(),
  { long: 'plain', kind: 'bool', description: 'print only the resolved default model (provider/model)' },
  {
    long: 'check',
    kind: 'bool',
    description:
      'exit 1 when expired/missing, a file does not parse or (with --probe) a probe answered auth, auth_permanent, billing or credential_scope; ' +
      '2 when expiring within 24 h; else 0',
  },
  { long: 'probe', kind: 'bool', description: 'send a minimal live request per profile and env key (a "Probes" table; --plain: one tab-separated line each)' },
  { long: 'probe-provider', kind: 'value', value: 'provider', description: 'probe only this provider', complete: 'provider' },
  { long: 'probe-profile', kind: 'list', value: 'ids', description: 'probe only these profiles (comma list; repeatable)' },
  { long: 'probe-timeout', kind: 'int', value: 'ms', description: 'time limit of each probe (default 10000)' },
  { long: 'probe-concurrency', kind: 'int', value: 'n', description: 'probes run at once (default 4)' },
  { long: 'probe-max-tokens', kind: 'int', value: 'n', description: 'max_tokens of each probe request (default 8)' },
];

const AUTH: CommandSpec = {
  name: 'auth',
  description: 'credential profiles: add, list, remove, order',
  flags: [agent('the agent for every command below (OpenClaw: `models auth --agent work list`)')],
  subcommands: [
    {
      name: 'paste-token',
      description: 'store a token from stdin (not a terminal) or a masked prompt; never from argv',
      flags: [
        provider('the provider, e.g. anthropic'),
        { long: 'profile-id', kind: 'value', value: 'id', description: 'the profile id (default <provider>:manual)' },
        { long: 'expires-in', kind: 'value', value: 'duration', description: 'when it expires: 365d, 12h, 90m, 1h30m, 1d12h, 30s or never (default never)' },
        agent(),
        force(),
        json(),
      ],
      run: { module: 'auth-write', fn: 'pasteToken' },
    },
    {
      name: 'setup-token',
      description: 'store an Anthropic setup-token made by `claude setup-token` (needs a terminal)',
      flags: [
        provider('anthropic'),
        { long: 'yes', kind: 'bool', description: 'run `claude setup-token` without asking, when it is on PATH' },
        {
          long: 'expires-in',
          kind: 'value',
          value: 'duration',
          description: 'when it expires; 365d is the lifetime Claude gives setup-tokens',
          default: '365d',
        },
        agent(),
        force(),
        json(),
      ],
      run: { module: 'auth-interactive', fn: 'setupToken' },
    },
    {
      name: 'login',
      description: 'sign in with OAuth: a browser (PKCE) or a device code; the gateway stores and refreshes the result',
      flags: [
        provider('the provider: anthropic, openai-codex, github-copilot, or one configured in opensoul.json'),
        { long: 'device-code', kind: 'bool', description: 'use the device-code flow: enter a code on the provider’s page from any device' },
        {
          long: 'profile-id',
          kind: 'value',
          value: 'id',
          description: 'the profile id (default <provider>:<email> when the account names one, else <provider>:default)',
        },
        agent(),
        { long: 'set-default', kind: 'bool', description: "put the profile first in the agent's order for the provider" },
        force('replace a different credential already stored there (a terminal asks instead)'),
        { long: 'browser', kind: 'bool', negatable: true, description: 'do not open a browser; print the URL and wait for the redirect or a paste' },
        {
          long: 'method',
          kind: 'value',
          value: 'method',
          description:
            'cli: use the sign-in Claude Code (anthropic) or the Codex CLI (openai-codex) keeps — read through, never copied, never refreshed by the gateway',
        },
        json(),
      ],
      run: { module: 'login', fn: 'login' },
    },
    {
      name: 'paste-api-key',
      description: "store an API key from stdin or a masked prompt, as a profile or in the state dir's .env",
      flags: [
        provider('the provider, e.g. openai'),
        { long: 'profile-id', kind: 'value', value: 'id', description: 'the profile id (default <provider>:manual)' },
        { long: 'target', kind: 'value', value: 'where', description: 'profile (auth-profiles.json) or env (~/.opensoul/.env)', default: 'profile' },
        agent(),
        force(),
        json(),
      ],
      run: { module: 'auth-write', fn: 'pasteApiKey' },
    },
    {
      name: 'add',
      description: 'add a profile interactively: provider, kind, id, expiry, secret (needs a terminal)',
      flags: [agent(), force(), json()],
      run: { module: 'auth-interactive', fn: 'add' },
    },
    {
      name: 'list',
      description: 'list the profiles of an agent, masked',
      flags: [provider('only this provider', false), agent(), json()],
      run: { module: 'auth-read', fn: 'list' },
    },
    {
      name: 'remove',
      aliases: ['logout'],
      description: "delete one agent's own profile (also from its order and usage state; from config once no agent holds it)",
      args: [{ name: 'profileId', required: true }],
      flags: [agent(), { long: 'yes', kind: 'bool', description: 'accepted for scripts written for OpenClaw: remove never asks' }, json()],
      run: { module: 'auth-write', fn: 'remove' },
    },
    {
      name: 'order',
      description: "an agent's order override for a provider (stored in its auth-profiles.json)",
      subcommands: [
        { name: 'get', description: 'show the override and the order a call would use now', flags: ORDER_FLAGS, run: { module: 'auth-read', fn: 'orderGet' } },
        {
          name: 'set',
          description: 'set the override (profile ids of that provider, first first)',
          args: [{ name: 'ids', required: true, variadic: true }],
          flags: ORDER_FLAGS,
          run: { module: 'auth-write', fn: 'orderSet' },
        },
        { name: 'clear', description: 'remove the override', flags: ORDER_FLAGS, run: { module: 'auth-write', fn: 'orderClear' } },
      ],
    },
  ],
};

const GATEWAY: CommandSpec = {
  name: 'gateway',
  description: 'run the gateway daemon, or manage the running one and its service',
  defaultSub: 'run',
  subcommands: [
    {
      name: 'run',
      description: 'run the daemon in the foreground (logs to stderr and the log file; SIGTERM/SIGINT stop it, SIGHUP reloads)',
      run: { module: 'gateway-run', fn: 'run' },
    },
    {
      name: 'install',
      description: 'install the daemon as a service (systemd user unit on Linux, LaunchAgent on macOS) and start it',
      flags: [
        { long: 'force', kind: 'bool', description: 'replace a service file that differs (after a backup <file>.bak-<timestamp>)' },
        { long: 'dry-run', kind: 'bool', description: 'print the files that would be written and the commands that would run; change nothing' },
        { long: 'auth-monitor', kind: 'bool', description: 'also install the auth monitor timer (every 30 min: models status --check, notifies)' },
        { long: 'system', kind: 'bool', description: 'a systemd system unit with User= (for hosts that run everything as root)' },
        json(),
      ],
      helpAfter: '\nOPENSOUL_SERVICE_MANAGER=systemd|launchd|none skips detecting the service manager.',
      run: { module: 'gateway-service', fn: 'install' },
    },
    {
      name: 'uninstall',
      description: 'stop and disable the service and remove its files',
      flags: [{ long: 'system', kind: 'bool', description: 'the systemd system unit (default: whichever is installed, the user unit first)' }, json()],
      run: { module: 'gateway-service', fn: 'uninstall' },
    },
    {
      name: 'start',
      description: 'start the daemon: through the service when installed, else detached (no service manager: containers, WSL, Termux)',
      flags: [json()],
      run: { module: 'gateway-service', fn: 'start' },
    },
    {
      name: 'stop',
      description: 'stop the daemon (through the service when installed, else over the socket)',
      flags: [json()],
      run: { module: 'gateway-service', fn: 'stop' },
    },
    { name: 'restart', description: 'stop, then start the daemon', flags: [json()], run: { module: 'gateway-service', fn: 'restart' } },
    {
      name: 'status',
      description: 'the service (installed, active) and whether the daemon answers, with what it has loaded; exit 3 when it does not answer',
      flags: [json()],
      run: { module: 'gateway-service', fn: 'status' },
    },
    {
      name: 'logs',
      description: "print the end of the daemon's log (already redacted); -f follows it",
      flags: [
        { long: 'lines', short: 'n', kind: 'count', value: 'n', description: 'how many lines (default 50)' },
        { long: 'follow', short: 'f', kind: 'bool', description: 'keep printing new lines, across rotation, until interrupted' },
        json('print one JSON document: {file, lines: [the log records, parsed]}; not with -f, whose lines are JSON already'),
      ],
      run: { module: 'gateway-service', fn: 'logs' },
    },
    { name: 'reload', description: 'reload every file now', flags: [json()], run: { module: 'gateway-reload', fn: 'reload' } },
  ],
};

/** The whole CLI. */
export const COMMAND_TABLE: CommandSpec = {
  name: 'opensoul',
  description: 'OpenSoul: one gateway daemon that owns your model-provider credentials',
  flags: [{ long: 'version', short: 'V', kind: 'bool', description: 'print the version' }, json('print one JSON document on stdout (errors too)')],
  subcommands: [
    GATEWAY,
    {
      name: 'models',
      description: 'model credentials: status and auth profiles (with no subcommand: status)',
      flags: [
        agent(),
        { long: 'status-json', kind: 'bool', description: 'with no subcommand: `models status --json`' },
        { long: 'status-plain', kind: 'bool', description: 'with no subcommand: `models status --plain`' },
      ],
      takesNoWords: true,
      run: { module: 'models-status', fn: 'modelsGroup' },
      subcommands: [
        {
          name: 'status',
          description: 'credential status of an agent: providers, profiles, expiry, cooldowns, file errors',
          flags: MODELS_STATUS_FLAGS,
          run: { module: 'models-status', fn: 'status' },
        },
        AUTH,
      ],
    },
    {
      name: 'onboard',
      description: 'set up credentials for the gateway: keys from your environment, missing ones (masked), the service',
      flags: [
        { long: 'non-interactive', kind: 'bool', description: 'no prompts (for automation)' },
        { long: 'from-env', kind: 'bool', description: "store the provider keys of this command's environment" },
        provider('with --key-stdin: the provider of the key', false),
        { long: 'key-stdin', kind: 'bool', description: 'read one key for --provider from stdin' },
        { long: 'target', kind: 'value', value: 'where', description: 'env (~/.opensoul/.env, the default) or profile (auth-profiles.json)', default: 'env' },
        { long: 'install-service', kind: 'bool', description: 'also run `opensoul gateway install`' },
        force('replace a different value already stored for a key (a terminal asks instead)'),
        { long: 'install-daemon', kind: 'bool', key: 'installService', description: 'the same as --install-service (OpenClaw)' },
        agent('the agent for --target profile (default: the configured default agent)'),
        json(),
      ],
      run: { module: 'onboard', fn: 'onboard' },
    },
    {
      name: 'import',
      description: 'import credentials from another tool',
      subcommands: [
        {
          name: 'openclaw',
          description: "copy OpenClaw's agents' profiles, order and .env provider keys (every OpenClaw layout, SQLite included)",
          flags: [
            { long: 'from', kind: 'value', value: 'dir', description: "OpenClaw's state dir (default ~/.openclaw)" },
            { long: 'dry-run', kind: 'bool', description: 'show what would be imported; write nothing' },
            { long: 'force', kind: 'bool', description: 'replace existing profiles and keys that differ (otherwise they are reported as conflicts)' },
            json(),
          ],
          run: { module: 'import', fn: 'importOpenClaw' },
        },
      ],
    },
    {
      name: 'doctor',
      description: 'check the gateway, files, credentials, service and environment; --fix repairs the safe ones',
      flags: [
        { long: 'fix', kind: 'bool', description: 'apply safe repairs: file modes (chmod), a stale socket; never rewrites a credential file' },
        json('print one JSON document: {checks: [{id, status, message, fix, fixed}], ok}'),
        { long: 'repair', kind: 'bool', key: 'fix', description: 'the same as --fix (OpenClaw)' },
        // OpenClaw scripts pass these; doctor never prompts, so they change nothing.
        { long: 'non-interactive', kind: 'bool', description: 'accepted for OpenClaw scripts: doctor never prompts' },
        { long: 'yes', kind: 'bool', description: 'accepted for OpenClaw scripts: doctor never prompts' },
      ],
      run: { module: 'doctor', fn: 'doctor' },
    },
    {
      name: 'chat',
      description: 'talk to a model through the gateway: /model commands and messages, one per line',
      flags: [
        { long: 'session', kind: 'value', value: 'id', description: 'the session: its model and pin persist across runs (default: main)' },
        agent(),
        {
          long: 'model',
          kind: 'value',
          value: 'ref',
          description: 'switch the session first, as `/model <ref>` (`sonnet`, `openai/gpt-4o`, `sonnet@anthropic:work`)',
        },
        json('JSON lines: one result per turn, no streamed text (see below)'),
      ],
      helpAfter: CHAT_HELP,
      run: { module: 'chat', fn: 'chat' },
    },
    {
      name: 'exec',
      description: 'run a command with your provider credentials in its environment (only there)',
      usage: '[options] -- <command> [args...]',
      args: [{ name: 'command', variadic: true, description: 'the command and its arguments, after `--`' }],
      flags: [
        {
          long: 'provider',
          kind: 'list',
          value: 'ids',
          description: 'only these providers (comma list; repeatable; default: every provider with a credential)',
          complete: 'provider',
        },
        agent('the agent whose credentials to use (default: the configured default agent)'),
        { long: 'session', kind: 'value', value: 'id', description: "honour this chat session's pinned profile (`/model …@id`)" },
        {
          long: 'proxy',
          kind: 'bool',
          description:
            "give the command the gateway's local proxy (ANTHROPIC_BASE_URL, OPENAI_BASE_URL and a proxy key for this run) instead of any real key; " +
            'needs proxy.enabled in opensoul.json',
        },
        {
          long: 'proxy-ttl',
          kind: 'duration',
          value: 'duration',
          description: 'with --proxy: a limit on how long its key lives (default: as long as the command runs; e.g. 30m, 8h)',
        },
        { long: 'print-names', kind: 'bool', description: 'print the variables it would set and where each comes from (never a value), then exit' },
        json('with --print-names: one JSON document {agent, variables: [{name, provider, profileId, source}], missing}'),
      ],
      helpAfter: EXEC_HELP,
      run: { module: 'exec', fn: 'exec' },
    },
    {
      name: 'proxy',
      description: 'the local credential proxy: tools reach providers through the gateway with a local key, never a real one',
      subcommands: [
        {
          name: 'status',
          description: 'whether the proxy listens, where, and the environment lines for the SDKs',
          flags: [json()],
          run: { module: 'proxy', fn: 'proxyStatus' },
        },
        {
          name: 'key',
          description: 'local proxy keys: scoped to an agent and providers, revocable, stored hashed',
          subcommands: [
            {
              name: 'create',
              description: 'create a proxy key and print it (once: only its hash is kept)',
              flags: [
                agent('the agent whose credentials it uses (default: the default agent)'),
                {
                  long: 'provider',
                  kind: 'list',
                  value: 'ids',
                  description: 'only these providers (comma list; repeatable; default: all)',
                  complete: 'provider',
                },
                {
                  long: 'expires',
                  kind: 'duration',
                  value: 'duration',
                  max: 366 * 86_400_000,
                  description: 'valid this long: 30m, 12h, 30d (default: until revoked)',
                },
                { long: 'label', kind: 'value', value: 'text', description: 'a note shown by `proxy key list`' },
                json('print one JSON document (with the key)'),
              ],
              run: { module: 'proxy', fn: 'keyCreate' },
            },
            {
              name: 'list',
              description: 'the proxy keys: id, agent, providers, expiry (never the keys)',
              flags: [json()],
              run: { module: 'proxy', fn: 'keyList' },
            },
            {
              name: 'revoke',
              description: 'revoke a proxy key: its next request is refused',
              args: [{ name: 'id', required: true, description: 'the key id (pk-…), from `proxy key list`' }],
              flags: [json()],
              run: { module: 'proxy', fn: 'keyRevoke' },
            },
          ],
        },
      ],
    },
    {
      name: 'completion',
      description: 'print a shell completion script (bash, zsh or fish) generated from this command table',
      args: [{ name: 'shell', required: true, description: 'bash, zsh or fish' }],
      helpAfter: COMPLETION_HELP,
      run: { module: 'completion', fn: 'completion' },
    },
  ],
};
