/**
 * Root hook for `npm run soak`: after every hardening file has run, print one table of what was
 * tried, how many times, how long, the daemon's RSS and open fds before and after, and what was
 * lost. The README's Reliability section is filled from it.
 */
import { reportedRows } from './hardening.js';

export const mochaHooks = {
  afterAll(): void {
    const rows = reportedRows();
    if (rows.length === 0) return;
    const mib = (kib: number) => (kib / 1024).toFixed(1);
    const lines = [
      '',
      '| what was tried | times | time | daemon RSS before → after | open fds before → after | lost |',
      '|---|---:|---:|---|---|---:|',
      ...rows.map(
        (r) =>
          `| ${r.what} | ${r.times.toLocaleString('en-US')} | ${r.seconds.toFixed(0)} s | ${mib(r.before.rssKiB)} → ${mib(r.after.rssKiB)} MiB | ` +
          `${r.before.fds} → ${r.after.fds} | ${r.lost} |`,
      ),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
