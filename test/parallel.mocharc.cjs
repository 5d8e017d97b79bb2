/**
 * `npm test`'s parallel run: every test file except the ones that must not share the machine
 * (run serially after, with test/serial.mocharc.cjs).
 *
 * Jobs: twice the cores, at most 12. Most of an end-to-end test is waiting (a daemon starting, a
 * debounce, a child process, a timer), so two workers per core keep both cores busy: measured on
 * the 2-core machine, 134 s with 2 jobs, 112 s with 3, 106 s with 4 (same files, idle machine).
 * The cap keeps a many-core machine from running dozens of workers, each with its daemons.
 *
 * Order: the slowest files first, then the rest alphabetically. Workers take files in this order,
 * so a 15 s file is not the last one started while the other workers sit idle.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const base = require('../.mocharc.json');

/** Run alone after the parallel run, by test/serial.mocharc.cjs. */
const SERIAL = require('./serial.mocharc.cjs').spec;

/** The longest files of the suite, longest first (measured with `--reporter json`). */
const SLOWEST = [
  'test/e2e/service-manager.test.ts',
  'test/e2e/write-safety.test.ts',
  'test/hardening/editor-race.test.ts',
  'test/e2e/proxy.test.ts',
  'test/scripts/auth-monitor.test.ts',
  'test/e2e/oauth-login.test.ts',
  'test/e2e/service-detached.test.ts',
];

const root = path.resolve(__dirname, '..');
const all = fs
  .readdirSync(path.join(root, 'test'), { recursive: true })
  .map((f) => path.join('test', String(f)).split(path.sep).join('/'))
  .filter((f) => f.endsWith('.test.ts') && !SERIAL.includes(f))
  .sort();

module.exports = {
  ...base,
  parallel: true,
  jobs: Math.min(12, Math.max(2, 2 * (os.availableParallelism?.() ?? os.cpus().length))),
  spec: [...SLOWEST.filter((f) => all.includes(f)), ...all.filter((f) => !SLOWEST.includes(f))],
};
