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
 * Idle RSS, tried and not kept (median of 3, 12 profiles): at start-up Node's path normalizer gets
 * hot enough for V8 to compile it with TurboFan, which pages ~3.6 MiB of the optimizing compiler
 * out of the node binary (idle 55.0 MiB, RssFile 41.7). `--interrupt-budget=135168` (twice Node
 * 20's default) kept it cold at start (51.0 MiB), but the 2 s periodic check makes it hot within
 * 40-120 s of idling (54 MiB again), even with that check's own path joins cached: it only moves
 * the cost later. `--lite-mode`/`--jitless` (49.5 MiB) and `--no-opt` (51.0 MiB) drop the
 * optimizing compiler for good, `--optimize-for-size` cost ~20% throughput for 4 MiB less after
 * load; `--single-threaded`, `--v8-pool-size=1`, `--heap-growing-percent=30`: no change.
 * `--max-opt=1` (Sparkplug at most, on every Node we support) met both RSS goals (idle 49.8, after
 * 100k 56.8–57.6 MiB on Node 20) but the proxy is Node's http and stream code: 64 paced streams
 * went from 0.94× to 0.70× of direct, unpaced from 0.27× to 0.07×, `models.status` ~15% slower.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
