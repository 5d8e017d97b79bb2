/** `opensoul completion bash|zsh|fish`: the script, generated from the command table. */
import { PROVIDERS } from '../../ipc/providers.js';
import { command } from '../cli-context.js';
import { bashScript, fishScript, zshScript } from '../cli/completion.js';
import { COMMAND_TABLE } from '../cli/table.js';
import { usageError } from '../output.js';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** `completion <shell>`. */
export const completion = command(async ({ args }) => {
  const shell = args[0] as string;
  if (!Object.hasOwn(SCRIPTS, shell)) throw usageError(`completion expects bash, zsh or fish, got "${shell}"`);
  process.stdout.write(
    SCRIPTS[shell as keyof typeof SCRIPTS](
      COMMAND_TABLE,
      PROVIDERS.map((p) => p.id),
    ),
  );
  return Promise.resolve(0);
});
