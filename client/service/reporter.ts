/**
 * How service commands talk: progress and results on stdout for people (nothing there with
 * `--json`, which gets one document at the end), warnings and notes on stderr in both modes.
 */
import type { ActionEnv } from '../cli-context.js';
import { printJson } from '../output.js';
import { tildePath } from '../render/format.js';
import type { Style } from '../render/style.js';

export class Reporter {
  readonly style: Style;
  constructor(readonly env: ActionEnv) {
    this.style = env.style;
  }

  get json(): boolean {
    return this.env.json;
  }

  /** A line for people (skipped with `--json`). */
  line(text = ''): void {
    if (!this.env.json) process.stdout.write(`${text}\n`);
  }

  /** A command being run, for people to see what happens to their system. */
  command(line: string): void {
    this.line(this.style.dim(`  $ ${line}`));
  }

  warn(text: string): void {
    process.stderr.write(`${this.style.yellow('warning')}: ${text}\n`);
  }

  note(text: string): void {
    process.stderr.write(`note: ${text}\n`);
  }

  /** The `--json` document (only with `--json`). */
  document(value: unknown): void {
    if (this.env.json) printJson(value);
  }

  path(p: string): string {
    return tildePath(p);
  }
}
