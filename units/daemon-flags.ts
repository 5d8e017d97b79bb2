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
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
