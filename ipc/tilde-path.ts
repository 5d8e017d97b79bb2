/** Paths for people, shown alike by the CLI and in the daemon's chat replies. */

/** A path with the home dir shown as `~`. */
export function tildePath(p: string, home = process.env.HOME ?? ''): string {
  if (home && home !== '/' && (p === home || p.startsWith(`${home}/`))) return `~${p.slice(home.length)}`;
  return p;
}
