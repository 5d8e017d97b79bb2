/**
 * The `opensoul` CLI (SPEC §7): parse argv → connect → one call → render → exit code. Usage
 * errors exit 64 with the command's usage; `--help` and `--version` import nothing heavy.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, OpenSoulError } from '../ipc/errors.js';
import { VERSION } from '../ipc/version.js';
import type { CliContext } from './cli-context.js';
import { registerGateway } from './commands/gateway.js';
import { registerDoctor } from './commands/doctor.js';
import { registerImport } from './commands/import.js';
import { registerModels } from './commands/models.js';
import { registerOnboard } from './commands/onboard.js';
import { printJson, scrubArgvEcho } from './output.js';
import { secretArgvOption } from './secret-input.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('opensoul')
    .description('OpenSoul: one gateway daemon that owns your model-provider credentials')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print one JSON document on stdout (errors too)')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(scrubArgvEcho(str)) });
  registerGateway(program, ctx);
  registerModels(program);
  registerOnboard(program, ctx);
  registerImport(program);
  registerDoctor(program, ctx);
  return program;
}

export async function main(argv: string[], ctx: CliContext): Promise<void> {
  const program = buildProgram(ctx);
  try {
    // Before commander: its errors would quote the option, and the value could follow.
    const secretOption = secretArgvOption(argv);
    if (secretOption) throw secretOption;
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = EXIT.OK;
        return;
      }
      if (err.code === 'commander.executeSubCommandAsync') return;
      // Commander already printed the error and the usage on stderr.
      if (argv.includes('--json')) printJson({ error: { code: 'USAGE', message: scrubArgvEcho(err.message.replace(/^error: /, '')) } });
      process.exitCode = EXIT.USAGE;
      return;
    }
    if (err instanceof OpenSoulError && err.kind === 'USAGE') {
      process.stderr.write(`opensoul: ${err.message}\n`);
      if (argv.includes('--json')) printJson({ error: { code: 'USAGE', message: err.message } });
      process.exitCode = EXIT.USAGE;
      return;
    }
    throw err;
  }
}
