/**
 * A real pseudo-terminal for interactive commands: tmux, with a private server per session
 * (`-L`), driven by send-keys and read by capture-pane. The command runs from a script that
 * sets its environment, then records its exit code in the pane.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onCleanup, tempDir, waitFor } from './harness.js';

export interface Tty {
  /** The screen as text (with scrollback). */
  screen(): string;
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
  /** Types text (literally); `enter` presses Enter after it. */
  type(text: string, opts?: { enter?: boolean }): void;
  key(name: string): void;
  /** Waits for the command to finish; its exit code. */
  exitCode(timeoutMs?: number): Promise<number>;
  /** The pane's title, which a program sets with OSC 0 or 2 (as it would set a terminal window's). */
  title(): string;
}

let counter = 0;

export function runInTty(argv: string[], env: NodeJS.ProcessEnv): Tty {
  const dir = tempDir('opensoul-tty-');
  const server = `opensoul-test-${process.pid}-${++counter}`;
  const script = path.join(dir, 'run.sh');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const exports = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}=${q(v as string)}`)
    .join('\n');
  // The wrapper shell outlives a Ctrl-C typed at the command (a trap, unlike an ignored signal,
  // is not inherited by the command), so it still prints the exit code.
  writeFileSync(script, `#!/bin/sh\ntrap : INT QUIT\n${exports}\n${argv.map(q).join(' ')}\necho "__EXIT__:$?"\nsleep 600\n`);
  chmodSync(script, 0o700);
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'main', '-x', '200', '-y', '60', script);
  onCleanup(() => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'main');
  return {
    screen,
    waitFor: (pattern, what, timeoutMs = 15_000) => waitFor(() => (pattern.test(screen()) ? screen() : null), `${what}; screen:\n${screen()}`, timeoutMs, 50),
    type: (text, opts = {}) => {
      tmux('send-keys', '-t', 'main', '-l', text);
      if (opts.enter) tmux('send-keys', '-t', 'main', 'Enter');
    },
    key: (name) => {
      tmux('send-keys', '-t', 'main', name);
    },
    title: () => tmux('display-message', '-p', '-t', 'main', '#{pane_title}').trim(),
    exitCode: async (timeoutMs = 15_000) => {
      const s = await waitFor(() => /__EXIT__:(\d+)/.exec(screen()), `the command to exit; screen:\n${screen()}`, timeoutMs, 50);
      return Number(s[1]);
    },
  };
}
