#!/bin/sh
# OpenSoul auth monitor: checks the gateway's credentials and tells you when they need you.
#
#   auth-monitor.sh [--node /abs/node --entry /abs/opensoul.cjs]
#
# Runs `opensoul models status --check --json` for every agent the gateway knows (with
# --node/--entry: `<node> <entry> …`, which is how the systemd timer and the launchd job of
# `opensoul gateway install --auth-monitor` call it, because a service's PATH lacks nvm and
# npm-global dirs; else `opensoul` from PATH) and turns the exit codes into a level:
#   0 ok · 1 expired (a token/OAuth profile expired, a provider your models need has no
#   credential, or a store or config file does not parse) · 2 expiring (within auth.expiringWindowHours, 24 h by default) ·
#   3 unreachable (the gateway is down or does not answer) · any other code: error (the check
#   itself could not run). 0, 1 or 2 without a status document on stdout (node found no --entry,
#   or the gateway answered an error) is an error too, and exits 4.
# The worst agent sets the level (expired over expiring over ok; a check that could not run
# over all of them), and with more than one agent the alert names the agent of each problem.
# An unreachable gateway is asked once more after OPENSOUL_MONITOR_RETRY_SECONDS (default 20;
# 0: no retry) before it counts: a run caught up at boot races the gateway's own start.
# It alerts at once when the level changes (also back to ok: "recovered") or another agent
# joins or leaves the problem, and at most once an hour while a non-ok level stays. The last
# level and alert time are kept in $OPENSOUL_STATE_DIR/auth-monitor.state (else
# ~/.opensoul/auth-monitor.state), mode 0600.
#
# Settings: KEY=value lines in auth-monitor.env beside the state file (~/.opensoul/auth-monitor.env),
# a file of yours that `gateway install` never writes; a variable set in the environment wins.
# Read as data, never run: blank lines and # comments are skipped, `export ` is allowed, one pair
# of matching quotes around a value is removed (nothing inside is expanded), and an unquoted
# value ends at a `#`, as in .env. It must be yours and not writable by others (else it is
# ignored, and the alert goes to the fallbacks below); one readable by others is narrowed to 0600.
#
# Alerts go, first that is set up:
#   OPENSOUL_NOTIFY_CMD  a command; the message is appended as its last argument ($1 of a
#                        script), e.g. OPENSOUL_NOTIFY_CMD='logger -t opensoul'
#   OPENSOUL_NOTIFY_URL  an ntfy-style topic URL: POSTed with curl, a Title header and the
#                        message as body, e.g. https://ntfy.sh/<your-secret-topic>
#   osascript            on macOS, a notification (display notification)
#   notify-send          a desktop notification, when the command exists
#   stderr               otherwise (the journal, under systemd; cron mails it)
# A message names agents, profile ids, providers, states and file names only — never a secret, never a masked one.
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
    -h|--help) sed -n '/^[^#]/q; 2,$s/^# \{0,1\}//p' "$0"; exit 0 ;;
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
settings_file=$state_dir/auth-monitor.env
nl='
'

# --- settings: <state dir>/auth-monitor.env, the person's own file (an install never writes it,
# so edits survive `gateway install --force`). Read line by line as data, never sourced or
# eval'ed: a URL or command may hold $, `, ; or quotes that must reach curl or sh -c as written.
settings_note=''
settings_refused() {
  printf 'auth-monitor: %s is ignored: %s\n' "$settings_file" "$1" >&2
  settings_note="auth-monitor.env is ignored: $1"
}
read_settings() {
  f=$settings_file
  [ -e "$f" ] || [ -L "$f" ] || return 0
  if [ ! -f "$f" ]; then settings_refused "not a regular file"; return 0; fi
  # OPENSOUL_NOTIFY_CMD is run: a file another user can write to would run their command as us.
  # -H: a file linked from a dotfiles repo is judged by what it points to. The check and the
  # read are two steps, but the state dir is ours alone (0700), so nobody can swap the file.
  if ! open=$(find -H "$f" -prune \( ! -user "$(id -u)" -o -perm -0020 -o -perm -0002 \) -print 2>/dev/null); then
    settings_refused "its owner and mode cannot be checked"
    return 0
  fi
  if [ -n "$open" ]; then settings_refused "it is not yours, or others can write to it (check it, then chmod 600 it)"; return 0; fi
  # A notify URL may hold a token: narrowed like the gateway narrows its secret files (never through a link).
  if [ -n "$(find -H "$f" -prune \( -perm -0040 -o -perm -0004 \) -print 2>/dev/null)" ]; then
    if [ -L "$f" ]; then
      echo "auth-monitor: $f can be read by other users: chmod 600 the file it links to" >&2
    elif chmod go-rwx "$f"; then
      echo "auth-monitor: $f was readable by other users; now 0600" >&2
    fi
  fi
  n=0
  cr=$(printf '\r')
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%"$cr"}
    line=${line#"${line%%[![:space:]]*}"}
    case "$line" in '' | '#'*) continue ;; esac
    case "$line" in 'export '* | 'export	'*) line=${line#export}; line=${line#"${line%%[![:space:]]*}"} ;; esac
    key=${line%%=*}
    key=${key%"${key##*[![:space:]]}"}
    case "$line" in *=*) ;; *) key='' ;; esac
    case "$key" in
      '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*)
        # Never the line itself: a URL pasted without its key is a secret.
        echo "auth-monitor: $f line $n: not a KEY=value line; ignored" >&2
        continue
        ;;
    esac
    value=${line#*=}
    value=${value#"${value%%[![:space:]]*}"}
    case "$value" in
      \"* | \'*)
        quote=${value%"${value#?}"}
        value=${value#?}
        rest=${value#*"$quote"}
        if [ "$rest" = "$value" ]; then
          echo "auth-monitor: $f line $n: $key: the quote is not closed on its line; ignored" >&2
          continue
        fi
        value=${value%%"$quote"*}
        rest=${rest#"${rest%%[![:space:]]*}"}
        case "$rest" in '' | '#'*) ;; *)
          echo "auth-monitor: $f line $n: $key: text after the closing quote; ignored" >&2
          continue
          ;;
        esac
        ;;
      *)
        value=${value%%#*}
        value=${value%"${value##*[![:space:]]}"}
        ;;
    esac
    case "$key" in
      OPENSOUL_NOTIFY_CMD) file_notify_cmd=$value ;;
      OPENSOUL_NOTIFY_URL) file_notify_url=$value ;;
      OPENSOUL_MONITOR_RETRY_SECONDS) file_retry=$value ;;
      *) echo "auth-monitor: $f line $n: $key is not a setting of the auth monitor; ignored" >&2 ;;
    esac
  done < "$f"
  # The environment wins, even set empty (a drop-in's Environment=OPENSOUL_NOTIFY_URL= turns it off).
  [ -n "${OPENSOUL_NOTIFY_CMD+set}" ] || [ -z "${file_notify_cmd+set}" ] || OPENSOUL_NOTIFY_CMD=$file_notify_cmd
  [ -n "${OPENSOUL_NOTIFY_URL+set}" ] || [ -z "${file_notify_url+set}" ] || OPENSOUL_NOTIFY_URL=$file_notify_url
  [ -n "${OPENSOUL_MONITOR_RETRY_SECONDS+set}" ] || [ -z "${file_retry+set}" ] || OPENSOUL_MONITOR_RETRY_SECONDS=$file_retry
}
read_settings

# --- run the check of one agent ($1), or of the gateway's default agent ($1 empty)
check() {
  if [ -n "$1" ]; then set -- --agent "$1"; else set --; fi
  if [ -n "$entry" ]; then
    out=$("$node" "$entry" models status "$@" --check --json 2>/dev/null)
  else
    out=$(opensoul models status "$@" --check --json 2>/dev/null)
  fi
  code=$?
}

# --- what the check said. Its exit code alone is not enough: 1 is also what node returns when
# --entry names no file, and what the CLI returns for an error the gateway answered. Only a
# status document (JSON with a numeric "check") is a check that ran; anything else with 0, 1 or 2
# is a check that could not run, and exits 4, so systemd (which takes 1 and 2 as success) and
# cron see a failure instead of an "EXPIRED" that `opensoul models status` then contradicts.
# The message names ids, providers, states and file names from the JSON, parsed with node when
# there is one (the JSON is ours, but a shell cannot parse JSON safely); else the level alone.
# Sets st (the status of this check), details, agent (whose status it is) and others (the
# gateway's other agents, from the default agent's answer).
parser=$node
[ -n "$parser" ] || parser=$(command -v node || true)
judge() {
  details=''
  agent=''
  others=''
  answered=unknown
  parsed=''
  if [ -n "$parser" ]; then
    if parsed=$(printf '%s' "$out" | "$parser" -e '
      let text = "";
      process.stdin.on("data", (d) => (text += d)).on("end", () => {
        // Only these characters reach a notification or a terminal: an id may hold quotes, escapes, newlines.
        const safe = (v) => String(v).replace(/[^A-Za-z0-9@._:+-]/g, "?");
        // An agent id as the gateway allows them (AGENT_ID_PATTERN): one shell word, no option.
        const agentId = (v) => typeof v === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v);
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
            if (!["expired", "expiring", "missing"].includes(pr.status)) continue;
            bits.push(safe(pr.id) + " " + pr.status + (pr.inheritedFrom ? " (from " + safe(pr.inheritedFrom) + ")" : ""));
          }
        }
        for (const p of s.missingProvidersInUse || []) bits.push(safe(p) + " has no credential");
        for (const d of s.disabledProvidersInUse || []) bits.push(safe(d.provider) + " has every credential disabled");
        const others = Array.isArray(s.agents) ? s.agents.filter((a) => agentId(a) && a !== s.agent) : [];
        // Three lines, and a last one so that an empty third line survives the command substitution.
        console.log([bits.join(", "), agentId(s.agent) ? s.agent : "", others.join(" "), "."].join("\n"));
      });' 2>/dev/null); then
      answered=yes
    else
      answered=no
    fi
    details=${parsed%%"$nl"*}
    if [ "$answered" = yes ]; then
      parsed=${parsed#*"$nl"}
      agent=${parsed%%"$nl"*}
      parsed=${parsed#*"$nl"}
      others=${parsed%%"$nl"*}
    fi
  fi
  st=$code
  case "$code" in
    0 | 1 | 2) [ "$answered" = no ] && st=4 ;;
  esac
  [ "$st" -eq 0 ] && details=''
  case "$st" in
    0 | 1 | 2 | 3) ;;
    *)
      if [ -z "$details" ]; then
        case "$code" in
          126 | 127) details="opensoul or node not found: give absolute --node and --entry" ;;
          *) details="opensoul gave no status: does --entry name its dist/opensoul.cjs?" ;;
        esac
      fi
      ;;
  esac
}

level_of() {
  case "$1" in
    0) lvl=ok ;;
    1) lvl=expired ;;
    2) lvl=expiring ;;
    3) lvl=unreachable ;;
    *) lvl=error ;;
  esac
}
# Worst first: a check that could not run (the first one seen), then expired, expiring, ok.
rank_of() {
  case "$1" in
    0) rank=0 ;;
    2) rank=1 ;;
    1) rank=2 ;;
    *) rank=3 ;;
  esac
}

# Takes one agent's result into the whole: status (the worst), shown_code and shown_details
# (the check behind it), pieces (each agent's problem, for the message) and problems (each
# agent's level, for the state file).
checked=0
status=''
pieces=''
problems=''
combine() {
  checked=$((checked + 1))
  name=${agent:-default}
  level_of "$st"
  if [ "$st" -ne 0 ]; then
    problems="${problems:+$problems }$name:$lvl"
    case "$st" in
      1 | 2) piece="$name: ${details:-$lvl}" ;;
      *) piece="$name: $lvl (exit $code${details:+, $details})" ;;
    esac
    pieces="${pieces:+$pieces; }$piece"
  fi
  rank_of "$st"
  new_rank=$rank
  rank_of "${status:-0}"
  if [ -z "$status" ] || [ "$new_rank" -gt "$rank" ]; then
    status=$st
    shown_code=$code
    shown_details=$details
  fi
}

check ''
# Unreachable at first: the timer's catch-up of a run missed while the machine was off fires at
# boot or login, right as the gateway is starting; one look again before alerting.
# OPENSOUL_MONITOR_RETRY_SECONDS (default 20, 0 = no retry) sets the wait.
retry=${OPENSOUL_MONITOR_RETRY_SECONDS:-20}
case "$retry" in ''|*[!0-9]*) retry=20 ;; esac
if [ "$code" -eq 3 ] && [ "$retry" -gt 0 ]; then
  sleep "$retry"
  check ''
fi
judge
combine
# Every other agent the default agent's answer named. Ids are checked words (judge): no quoting
# is lost by the split, and none starts with "-".
other_agents=$others
for other in $other_agents; do
  check "$other"
  judge
  # Removed between the two answers: no credential of it left to expire.
  [ "$st" -eq 4 ] && [ "$details" = AGENT_NOT_FOUND ] && continue
  agent=${agent:-$other}
  combine
  # The gateway stopped answering: every further look could hang as long as this one (the CLI
  # waits 5 min), and the unit's TimeoutStartSec is sized for two such looks, not one per agent.
  [ "$st" -eq 3 ] && break
done

code=$shown_code
details=$shown_details
hint='opensoul models status'
# More than one agent: each problem is named with its agent, and the hint names the agent.
if [ "$checked" -gt 1 ]; then
  details=$pieces
  case "$problems" in
    *' '*) hint='opensoul models status --agent <id>' ;;
    ?*) hint="opensoul models status --agent ${problems%%:*}" ;;
  esac
fi
level_of "$status"
level=$lvl

host=$(uname -n 2>/dev/null || echo host)
case "$level" in
  ok) msg="OpenSoul auth on $host: recovered, all credentials ok" ;;
  expired) msg="OpenSoul auth on $host: EXPIRED, missing or unreadable${details:+ — $details}. Run: $hint" ;;
  expiring) msg="OpenSoul auth on $host: expiring soon${details:+ — $details}. Run: $hint" ;;
  unreachable)
    msg="OpenSoul auth on $host: the check could not run (exit $code): the gateway is not reachable${details:+ ($details)}. Run: opensoul gateway status"
    ;;
  *) msg="OpenSoul auth on $host: the check could not run (exit $code)${details:+ ($details)}" ;;
esac
[ -z "$settings_note" ] || msg="$msg [$settings_note]"

# --- decide: at once on a change, hourly while a non-ok level stays
prev_level=''
prev_alert=0
prev_problems=''
had_problems=no
if [ -r "$state_file" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      level) prev_level=$value ;;
      alerted) case "$value" in ''|*[!0-9]*) ;; *) prev_alert=$value ;; esac ;;
      problems) prev_problems=$value; had_problems=yes ;;
    esac
  done < "$state_file"
fi
now=$(date +%s)
alert=no
if [ "$level" != "${prev_level:-ok}" ]; then
  alert=yes
elif [ "$level" != ok ] && [ "$had_problems" = yes ] && [ "$problems" != "$prev_problems" ]; then
  # The same level, but another agent's problem: `work` expiring while `main` was already
  # expiring must not wait up to an hour for the reminder. (A state file written before this
  # line existed has no record to compare: then only the level counts.)
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
    # in it must not show in `ps`. Quotes and backslashes are escaped for curl's config syntax;
    # --globoff: curl would read {a,b} and [1-3] in it as lists and post to each URL they make.
    url_escaped=$(printf '%s' "$OPENSOUL_NOTIFY_URL" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf 'url = "%s"\n' "$url_escaped" |
      curl -fsS --max-time 20 --globoff -K - -H "Title: OpenSoul auth ($level)" -H "Priority: $priority" -d "$1" >/dev/null
  elif [ "$(uname -s 2>/dev/null)" = Darwin ] && command -v osascript >/dev/null 2>&1; then
    # The message is an argument of the script (argv), never part of its source: nothing in it
    # (a quote, a backslash) can end the string and become AppleScript of its own.
    osascript -e 'on run argv' -e 'display notification (item 1 of argv) with title (item 2 of argv)' -e 'end run' "$1" "OpenSoul auth" >/dev/null
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
  if printf 'level=%s\nalerted=%s\nchecked=%s\ncode=%s\nproblems=%s\n' "$level" "$1" "$now" "$code" "$problems" > "$tmp" &&
    chmod 600 "$tmp" && mv -f "$tmp" "$state_file"; then
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
