/**
 * `opensoul exec [--provider p …] [--agent id] [--session id] -- cmd args…` (§7): the command
 * line only; the run (and child_process) is loaded when it runs (client/exec/run-exec.ts).
 */
import type { Command } from 'commander';
import { action } from '../cli-context.js';
import { splitList } from '../fast-path.js';
import { usageError } from '../output.js';
import { parseDurationMs } from '../expiry.js';
import type { ExecOptions } from '../exec/run-exec.js';

/** The form, as usage errors name it. */
export const EXEC_FORM = 'opensoul exec [--provider p …] -- <command> [args…]';

const EXAMPLES = `
Examples:
  opensoul exec -- claude                       # Claude Code with your Anthropic credential
  opensoul exec --provider openai -- python app.py
  opensoul exec --provider anthropic,openai -- npm test
  opensoul exec --print-names                   # which variables it would set, no values
  opensoul exec --proxy -- claude               # through the local proxy: the tool never holds a real key

Each credential goes into the variable its provider's tools read: an API key into the
provider's own (ANTHROPIC_API_KEY, OPENAI_API_KEY, …), an Anthropic setup-token into
CLAUDE_CODE_OAUTH_TOKEN. Values reach the command's environment only: never argv, the
terminal or a file. The command runs without a shell (write \`-- sh -c '…'\` for one); its
exit code is opensoul's, and a signal that ends it ends opensoul alike. 127: command not
found; 126: not executable.`;

/** True when the command line had a `--` (commander drops it): the root command keeps the words as given. */
function hadSeparator(cmd: Command): boolean {
  let root = cmd;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs: string[] }).rawArgs.includes('--');
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a command with your provider credentials in its environment (only there)')
    .usage('[options] -- <command> [args...]')
    .argument('[command...]', 'the command and its arguments, after `--`')
    .option('--provider <ids>', 'only these providers (comma list; repeatable; default: every provider with a credential)', (v: string, prev?: string[]) => splitList(v, prev))
    .option('--agent <id>', 'the agent whose credentials to use (default: the configured default agent)')
    .option('--session <id>', "honour this chat session's pinned profile (`/model …@id`)")
    .option('--proxy', "give the command the gateway's local proxy (ANTHROPIC_BASE_URL, OPENAI_BASE_URL and a proxy key for this run) instead of any real key; needs proxy.enabled in opensoul.json")
    .option('--proxy-ttl <duration>', 'with --proxy: how long its key lives if the command outlives it (default 1h; e.g. 30m, 8h)', (v: string) => {
      const ms = parseDurationMs(v);
      if (ms === null || ms < 1000) throw usageError(`--proxy-ttl expects a duration such as 30m or 8h, got "${v}"`);
      return ms;
    })
    .option('--print-names', 'print the variables it would set and where each comes from (never a value), then exit')
    .option('--json', 'with --print-names: one JSON document {agent, variables: [{name, provider, profileId, source}], missing}')
    .addHelpText('after', EXAMPLES)
    .action(
      action(async (env, words: string[], o: ExecOptions, cmd: Command) => {
        if (!o.printNames && (!hadSeparator(cmd) || words.length === 0)) {
          throw usageError(words.length === 0 ? `a command to run is missing: ${EXEC_FORM}` : `put \`--\` before the command: ${EXEC_FORM}`);
        }
        const { runExec } = await import('../exec/run-exec.js');
        return runExec(env, o, words);
      }),
    );
}
