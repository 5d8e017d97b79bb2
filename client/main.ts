/**
 * The `opensoul` CLI (SPEC §7): parse argv → connect → one call → render → exit code. Usage
 * errors exit 64 with the command's usage; `--help` and `--version` import nothing heavy.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, OpenSoulError } from '../ipc/errors.js';
import { VERSION } from '../ipc/version.js';
import type { CliContext } from './cli-context.js';
import { registerChat } from './commands/chat.js';
import { registerExec } from './commands/exec.js';
import { registerGateway } from './commands/gateway.js';
import { registerDoctor } from './commands/doctor.js';
import { registerImport } from './commands/import.js';
import { registerModels } from './commands/models.js';
import { registerOnboard } from './commands/onboard.js';
import { registerProxy } from './commands/proxy-register.js';
import { commandPath, printJson, scrubArgvEcho, usageHint, usageLine } from './output.js';
import { secretArgvOption } from './secret-input.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('opensoul')
    .description('OpenSoul: one gateway daemon that owns your model-provider credentials')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print one JSON document on stdout (errors too)')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(usageLine(str)) });
  registerGateway(program, ctx);
  registerModels(program);
  registerOnboard(program, ctx);
  registerImport(program);
  registerDoctor(program, ctx);
  registerChat(program);
  registerExec(program);
  registerProxy(program);
  // Each command's own usage after its usage errors (commander prints it after the error line).
  const withUsage = (cmd: Command): void => {
    cmd.showHelpAfterError(usageHint(cmd));
    cmd.commands.forEach(withUsage);
  };
  withUsage(program);
  return program;
}

/** The deepest command that `argv`'s words name (`models auth order set …` → `set`). */
function commandOf(program: Command, argv: string[]): Command {
  let cmd = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    cmd = sub;
  }
  return cmd;
}

export async function main(argv: string[], ctx: CliContext): Promise<void> {
  const program = buildProgram(ctx);
  // What follows `--` is another program's (`exec -- tool --json`): not ours to read.
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  try {
    // Before commander: its errors would quote the option, and the value could follow.
    const secretOption = secretArgvOption(argv);
    if (secretOption) throw secretOption;
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.help' && err.exitCode !== 0) {
        // A group called without its command (`opensoul models`): commander put the group's help
        // on stderr. A missing command is a usage error like a missing argument (§7).
        const message = `missing command: run \`${commandPath(commandOf(program, argv))} --help\` for the list`;
        process.stderr.write(`opensoul: ${message}\n`);
        if (own.includes('--json')) printJson({ error: { code: 'USAGE', message } });
        process.exitCode = EXIT.USAGE;
        return;
      }
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = EXIT.OK;
        return;
      }
      if (err.code === 'commander.executeSubCommandAsync') return;
      // Commander already printed the error and the usage on stderr.
      if (own.includes('--json')) printJson({ error: { code: 'USAGE', message: scrubArgvEcho(err.message.replace(/^error: /, '')) } });
      process.exitCode = EXIT.USAGE;
      return;
    }
    if (err instanceof OpenSoulError && err.kind === 'USAGE') {
      // Thrown while parsing (an option's own check), so no action knows its command: find it from the words.
      process.stderr.write(`opensoul: ${err.message}\n${usageHint(commandOf(program, argv))}\n`);
      if (own.includes('--json')) printJson({ error: { code: 'USAGE', message: err.message } });
      process.exitCode = EXIT.USAGE;
      return;
    }
    throw err;
  }
}
