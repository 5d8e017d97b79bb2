/**
 * `<stateDir>/.env` (§3, §4): dotenv `KEY=value` lines. Parsed with dotenv's `parse()` only —
 * `config()` prints to stdout and writes into `process.env`, and the daemon never puts secrets
 * into its own environment (§4). dotenv skips lines it cannot read without a word, so we also
 * name those lines (by number, never content) as warnings: a typo must not silently drop a key.
 * Which lines those are comes from the same tokenizer the editor uses (dotenv-grammar.ts).
 */
import dotenv from 'dotenv';
import { strayLines, tokenizeDotenv } from './dotenv-grammar.js';

export function parseDotenv(text: string): { values: Record<string, string>; warnings: string[] } {
  const values = dotenv.parse(text);
  const assignments = tokenizeDotenv(text);
  const warnings = strayLines(text, assignments).map((n) => `line ${n}: not a KEY=value line; ignored`);
  // A key set twice is almost always a paste appended below an old line (`cat >>`): dotenv
  // takes the last one, and the person must know which one the gateway uses. Names and line
  // numbers only, never a value.
  const firstLine = new Map<string, number>();
  for (const a of assignments) {
    const earlier = firstLine.get(a.key);
    if (earlier === undefined) firstLine.set(a.key, a.line);
    else warnings.push(`line ${a.line}: ${a.key} is set again (first on line ${earlier}); the last one is used`);
  }
  return { values, warnings };
}
