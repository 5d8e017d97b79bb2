/**
 * `<stateDir>/.env` (§3, §4): dotenv `KEY=value` lines. Parsed with dotenv's `parse()` only —
 * `config()` prints to stdout and writes into `process.env`, and the daemon never puts secrets
 * into its own environment (§4). dotenv skips lines it cannot read without a word, so we also
 * name those lines (by number, never content) as warnings: a typo must not silently drop a key.
 */
import dotenv from 'dotenv';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/;

export function parseDotenv(text: string): { values: Record<string, string>; warnings: string[] } {
  const values = dotenv.parse(text);
  const warnings: string[] = [];
  let openQuote: string | null = null;
  const lines = text.split(/\r?\n/);
  // A key set twice is almost always a paste appended below an old line (`cat >>`): dotenv
  // takes the last one, and the person must know which one the gateway uses. Names and line
  // numbers only, never a value.
  const firstLine = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    if (openQuote) {
      if (line.includes(openQuote)) openQuote = null;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const name = ASSIGNMENT.exec(line)?.[1];
    if (name === undefined) {
      warnings.push(`line ${i + 1}: not a KEY=value line; ignored`);
      continue;
    }
    const earlier = firstLine.get(name);
    if (earlier === undefined) firstLine.set(name, i + 1);
    else warnings.push(`line ${i + 1}: ${name} is set again (first on line ${earlier}); the last one is used`);
    // A quoted value that does not close on its own line continues on the next ones.
    const value = line.slice(line.indexOf('=') + 1).trimStart();
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && value.indexOf(q, 1) === -1) openQuote = q;
  }
  return { values, warnings };
}
