/** Colours only on a TTY and never with NO_COLOR (§7); no dependency for a few escape codes. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== undefined) && process.env.TERM !== 'dumb';
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function makeStyle(on: boolean): Style {
  return {
    bold: wrap(on, 1, 22),
    dim: wrap(on, 2, 22),
    red: wrap(on, 31, 39),
    yellow: wrap(on, 33, 39),
    green: wrap(on, 32, 39),
    cyan: wrap(on, 36, 39),
  };
}
