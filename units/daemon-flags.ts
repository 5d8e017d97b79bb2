/**
 * Node flags the daemon is started with wherever we start it (systemd unit, launchd plist,
 * `gateway start` without a service manager, `npm start`): V8 sizes its young generation at
 * start, so the daemon cannot set this for itself once running.
 *
 * `--max-semi-space-size=1` (MiB, per semi-space; V8's default grows to 16): measured with 12
 * profiles and 100k sequential `models.status` calls, RSS after the load went from 105 to
 * 83 MiB, throughput unchanged (4,367 vs 4,321 req/s), idle unchanged (~56 MiB). The daemon's
 * garbage is short-lived request objects: a small young generation collects it sooner and keeps
 * fewer pages. `--max-old-space-size` was not kept: 64 MiB took the same load to 70 MiB but puts
 * a hard ceiling on a large import or a burst of big requests.
 *
 * `--interrupt-budget=135168` (twice Node 20's V8 default of 67,584): how much bytecode a function
 * runs before V8 considers optimizing it. At start-up (chokidar's scan, path handling) Node's own
 * path normalizer crossed the default, and compiling that one function with TurboFan paged ~3.6 MiB
 * of the optimizing compiler out of the node binary into an idle daemon. Measured (median of 3,
 * idle after 2.5 s): 55.0 → 51.0 MiB (RssFile 41.7 → 38.1), and 49-50 MiB after 30-60 s idle (the
 * default stays at 54.5-55); throughput unchanged within the machine's noise (models.status,
 * 6 alternating rounds of 10k: 2,077 vs 2,470 req/s). Hot request code is still optimized, a little
 * later. Tried and not kept: `--lite-mode`/`--jitless` (49.5 MiB idle, but no optimizing compiler
 * at all), `--no-opt` (51.0 MiB, same objection), `--optimize-for-size` (−4 MiB after load, ~20%
 * slower), `--single-threaded`, `--v8-pool-size=1`, `--heap-growing-percent=30` (no change).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--interrupt-budget=135168'];
