/**
 * One word for a POSIX shell, for the commands that doctor and other advice print for people to
 * paste: a path with a space (`/Users/Jane Doe`), `$`, a backtick or a quote must reach the
 * command as one argument, unexpanded, or the advice runs on another file — or runs something.
 */

// Characters no POSIX shell gives a meaning to in a word; anything else is single-quoted.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as is when it is safe, else in single quotes (a `'` inside written `'\''`). */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}
