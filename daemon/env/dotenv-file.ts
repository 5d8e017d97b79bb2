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
  const warnings = strayLines(text, tokenizeDotenv(text)).map((n) => `line ${n}: not a KEY=value line; ignored`);
  return { values, warnings };
}
