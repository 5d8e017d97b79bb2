/** Secret-bearing options on the command line (§7), refused before anything parses them. */

/**
 * Secret-bearing options that scripts written for other tools pass (`--token sk-…`,
 * `--anthropic-api-key …`): argv is readable by every user of the host (§7), so they are
 * refused before anything parses them — and the value is never repeated.
 */
const SECRET_OPTION = /^--(token|key|api-key|secret|password|[a-z0-9][a-z0-9-]*-api-key|[a-z0-9][a-z0-9-]*-token)(?:=|$)/;

/** The refusal of the first secret-bearing option before `--`, or null. */
export function secretArgvRefusal(argv: readonly string[]): string | null {
  for (const arg of argv) {
    if (arg === '--') break; // `exec -- cmd …`: the child's own arguments
    const m = SECRET_OPTION.exec(arg);
    if (!m) continue;
    const name = `--${m[1] as string}`;
    const onboard = argv.includes('onboard');
    const tokenLike = /token$/.test(name);
    const stdinForm = onboard
      ? '`printf %s "$KEY" | opensoul onboard --non-interactive --provider <p> --key-stdin`'
      : tokenLike
        ? '`printf %s "$TOKEN" | opensoul models auth paste-token --provider <p>`'
        : '`printf %s "$KEY" | opensoul models auth paste-api-key --provider <p>`';
    return (
      `${name} is refused: a secret on the command line is visible to every user of this host. ` +
      `Give it on stdin instead: ${stdinForm} (or run the command in a terminal for a masked prompt)`
    );
  }
  return null;
}
