#!/bin/sh
# OpenSoul auth monitor: checks the gateway's credentials and tells you when they need you.
#
#   auth-monitor.sh [--node /abs/node --entry /abs/opensoul.cjs]
#
# Runs `opensoul models status --check --json` (with --node/--entry: `<node> <entry> …`, which is
# how the systemd timer of `opensoul gateway install --auth-monitor` calls it, because a
# service's PATH lacks nvm and npm-global dirs; else `opensoul` from PATH) and turns its exit
# code into a level:
#   0 ok · 1 expired (a token/OAuth profile expired, a provider your models need has no
#   credential, or a store or config file does not parse) · 2 expiring (within auth.expiringWindowHours, 24 h by default) ·
#   3 unreachable (the gateway is down or does not answer) · any other code: error (the check
#   itself could not run). 0, 1 or 2 without a status document on stdout (node found no --entry,
#   or the gateway answered an error) is an error too, and exits 4.
# An unreachable gateway is asked once more after OPENSOUL_MONITOR_RETRY_SECONDS (default 20;
# 0: no retry) before it counts: a run caught up at boot races the gateway's own start.
# It alerts at once when the level changes (also back to ok: "recovered") and at most once an
# hour while a non-ok level stays. The last level and alert time are kept in
# $OPENSOUL_STATE_DIR/auth-monitor.state (else ~/.opensoul/auth-monitor.state), mode 0600.
#
# Alerts go, first that is set up:
#   OPENSOUL_NOTIFY_CMD  a command; the message is appended as its last argument ($1 of a
#                        script), e.g. OPENSOUL_NOTIFY_CMD='logger -t opensoul'
#   OPENSOUL_NOTIFY_URL  an ntfy-style topic URL: POSTed with curl, a Title header and the
#                        message as body, e.g. https://ntfy.sh/<your-secret-topic>
#   notify-send          a desktop notification, when the command exists
#   stderr               otherwise (the journal, under systemd; cron mails it)
# A message names profile ids, providers, states and file names only — never a secret, never a masked one.
#
# Exits with the check's code (or 4, above), so cron and systemd see what the check saw.
#
# cron, every 30 minutes (absolute paths: cron's PATH is short):
#   */30 * * * * /path/to/opensoul/scripts/auth-monitor.sh --node /usr/bin/node --entry /path/to/opensoul/dist/opensoul.cjs
set -u
umask 077

node=''
entry=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --node) [ "$#" -ge 2 ] || { echo "auth-monitor: --node needs a path" >&2; exit 64; }; node=$2; shift 2 ;;
    --entry) [ "$#" -ge 2 ] || { echo "auth-monitor: --entry needs a path" >&2; exit 64; }; entry=$2; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "auth-monitor: unknown argument: $1 (usage: auth-monitor.sh [--node PATH --entry PATH])" >&2; exit 64 ;;
  esac
done
if [ -n "$entry" ] && [ -z "$node" ]; then node=$(command -v node || true); fi

# --- where the state lives (the same rule as the CLI: OPENSOUL_STATE_DIR, else <home>/.opensoul)
home=${OPENSOUL_HOME:-${HOME:-}}
state_dir=${OPENSOUL_STATE_DIR:-$home/.opensoul}
# A literal "~/" (from a unit file or cron, where no shell expanded it) is matched on purpose.
# shellcheck disable=SC2088
case "$state_dir" in
  "~") state_dir=$home ;;
  "~/"*) state_dir=$home/${state_dir#"~/"} ;;
esac
state_file=$state_dir/auth-monitor.state

# --- run the check
check() {
  if [ -n "$entry" ]; then
    out=$("$node" "$entry" models status --check --json 2>/dev/null)
  else
    out=$(opensoul models status --check --json 2>/dev/null)
  fi
  code=$?
}
check
# Unreachable at first: the timer's catch-up of a run missed while the machine was off fires at
# boot or login, right as the gateway is starting; one look again before alerting.
# OPENSOUL_MONITOR_RETRY_SECONDS (default 20, 0 = no retry) sets the wait.
retry=${OPENSOUL_MONITOR_RETRY_SECONDS:-20}
case "$retry" in ''|*[!0-9]*) retry=20 ;; esac
if [ "$code" -eq 3 ] && [ "$retry" -gt 0 ]; then
  sleep "$retry"
  check
fi

# --- what the check said. Its exit code alone is not enough: 1 is also what node returns when
# --entry names no file, and what the CLI returns for an error the gateway answered. Only a
# status document (JSON with a numeric "check") is a check that ran; anything else with 0, 1 or 2
# is a check that could not run, and exits 4, so systemd (which takes 1 and 2 as success) and
# cron see a failure instead of an "EXPIRED" that `opensoul models status` then contradicts.
# The message names ids, providers, states and file names from the JSON, parsed with node when
# there is one (the JSON is ours, but a shell cannot parse JSON safely); else the level alone.
details=''
answered=unknown
parser=$node
[ -n "$parser" ] || parser=$(command -v node || true)
if [ -n "$parser" ]; then
  if details=$(printf '%s' "$out" | "$parser" -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      // Only these characters reach a notification or a terminal: an id may hold quotes, escapes, newlines.
      const safe = (v) => String(v).replace(/[^A-Za-z0-9@._:+-]/g, "?");
      let s;
      try {
        s = JSON.parse(text);
      } catch {
        process.exit(4);
      }
      if (s === null || typeof s !== "object") process.exit(4);
      if (s.error) {
        console.log(safe(s.error.code || "error"));
        process.exit(4);
      }
      if (typeof s.check !== "number") process.exit(4);
      const bits = [];
      for (const f of s.fileErrors || []) bits.push(safe(String(f.path).split("/").pop()) + " does not parse");
      for (const p of s.providers || []) {
        for (const pr of p.profiles || []) {
          if (["expired", "expiring", "missing"].includes(pr.status)) bits.push(safe(pr.id) + " " + pr.status);
        }
      }
      for (const p of s.missingProvidersInUse || []) bits.push(safe(p) + " has no credential");
      for (const d of s.disabledProvidersInUse || []) bits.push(safe(d.provider) + " has every credential disabled");
      console.log(bits.join(", "));
    });' 2>/dev/null); then
    answered=yes
  else
    answered=no
  fi
fi

status=$code
case "$code" in
  0 | 1 | 2) [ "$answered" = no ] && status=4 ;;
esac
case "$status" in
  0) level=ok ;;
  1) level=expired ;;
  2) level=expiring ;;
  3) level=unreachable ;;
  *) level=error ;;
esac
[ "$level" = ok ] && details=''
if [ "$level" = error ] && [ -z "$details" ]; then
  case "$code" in
    126 | 127) details="opensoul or node not found: give absolute --node and --entry" ;;
    *) details="opensoul gave no status: does --entry name its dist/opensoul.cjs?" ;;
  esac
fi

host=$(uname -n 2>/dev/null || echo host)
case "$level" in
  ok) msg="OpenSoul auth on $host: recovered, all credentials ok" ;;
  expired) msg="OpenSoul auth on $host: EXPIRED, missing or unreadable${details:+ — $details}. Run: opensoul models status" ;;
  expiring) msg="OpenSoul auth on $host: expiring soon${details:+ — $details}. Run: opensoul models status" ;;
  unreachable) msg="OpenSoul auth on $host: the check could not run (exit $code): the gateway is not reachable${details:+ ($details)}. Run: opensoul gateway status" ;;
  *) msg="OpenSoul auth on $host: the check could not run (exit $code)${details:+ ($details)}" ;;
esac

# --- decide: at once on a change, hourly while a non-ok level stays
prev_level=''
prev_alert=0
if [ -r "$state_file" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      level) prev_level=$value ;;
      alerted) case "$value" in ''|*[!0-9]*) ;; *) prev_alert=$value ;; esac ;;
    esac
  done < "$state_file"
fi
now=$(date +%s)
alert=no
if [ "$level" != "${prev_level:-ok}" ]; then
  alert=yes
elif [ "$level" != ok ] && [ $((now - prev_alert)) -ge 3600 ]; then
  alert=yes
fi

notify() {
  if [ -n "${OPENSOUL_NOTIFY_CMD:-}" ]; then
    # The command line as given, with the message as one more (last) argument.
    sh -c "$OPENSOUL_NOTIFY_CMD \"\$1\"" opensoul-notify "$1"
  elif [ -n "${OPENSOUL_NOTIFY_URL:-}" ]; then
    if [ "$level" = ok ]; then priority=default; else priority=high; fi
    # The URL goes to curl on stdin (a config line), not argv: a secret topic or a user:password
    # in it must not show in `ps`. Quotes and backslashes are escaped for curl's config syntax.
    url_escaped=$(printf '%s' "$OPENSOUL_NOTIFY_URL" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf 'url = "%s"\n' "$url_escaped" |
      curl -fsS --max-time 20 -K - -H "Title: OpenSoul auth ($level)" -H "Priority: $priority" -d "$1" >/dev/null
  elif command -v notify-send >/dev/null 2>&1; then
    notify-send "OpenSoul auth" "$1"
  else
    printf '%s\n' "$1" >&2
  fi
}

write_state() {
  mkdir -p "$state_dir" 2>/dev/null
  tmp=$state_file.tmp.$$
  # A rename, so a reader (or a run racing this one) sees the old state or the new, never half.
  if printf 'level=%s\nalerted=%s\nchecked=%s\ncode=%s\n' "$level" "$1" "$now" "$code" > "$tmp" && chmod 600 "$tmp" && mv -f "$tmp" "$state_file"; then
    :
  else
    rm -f "$tmp"
    echo "auth-monitor: cannot write $state_file" >&2
  fi
}

if [ "$alert" = yes ]; then
  if notify "$msg"; then
    write_state "$now"
    echo "auth-monitor: $level (exit $status), notified"
  else
    # Keep the previous state: the next run sees the change again and retries.
    # The alert itself goes to stderr too (the journal, cron's mail, launchd's log): a notifier
    # that always fails (notify-send without a session bus under cron) must not swallow it.
    printf '%s\n' "$msg" >&2
    echo "auth-monitor: $level (exit $status); the notification failed, will retry next run" >&2
    [ -f "$state_file" ] || write_state 0
  fi
else
  write_state "$prev_alert"
  echo "auth-monitor: $level (exit $status)"
fi
exit "$status"
