#!/bin/sh
# OpenSoul auth status on your phone: asks the host that runs the gateway, over SSH, and shows
# the answer as an Android notification (Termux).
#
#   termux-auth-status.sh [user@]host [remote opensoul command]
#
# On the host it runs `opensoul models status --check --plain` (just the default model, and the
# check's exit code) — nothing secret crosses the wire, not even a masked key. The second
# argument (or OPENSOUL_REMOTE_CMD) replaces `opensoul` when a non-interactive SSH shell does not
# have it on PATH, e.g. '/usr/bin/node /opt/opensoul/dist/opensoul.cjs'.
#
# Shows: "ok", "expiring soon", "EXPIRED or missing", "gateway not reachable" or "ssh failed",
# through termux-notification (pkg install termux-api, plus the Termux:API app), else
# termux-toast, else plain text. Exits with the remote check's code (255: ssh itself failed), so
# it can drive other scripts too.
#
# Setup, in Termux:
#   pkg install openssh termux-api
#   ssh-keygen -t ed25519 && ssh-copy-id user@host      # BatchMode: it never asks for a password
# One tap: copy this file to ~/.shortcuts/ (the Termux:Widget app) and add the widget.
# Periodically: termux-job-scheduler --script ~/.shortcuts/termux-auth-status.sh --period-ms 1800000
# (edit the host into the script, or wrap it: a job gets no arguments).
set -u

host=${1:-${OPENSOUL_SSH_HOST:-}}
remote=${2:-${OPENSOUL_REMOTE_CMD:-opensoul}}
if [ -z "$host" ] || [ "$host" = -h ] || [ "$host" = --help ]; then
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  [ -n "$host" ] && exit 0
  exit 64
fi

# ServerAlive: a network that drops mid-run (a phone moving between networks) ends the run within
# ~45 s instead of leaving ssh waiting on a dead connection; the remote check bounds its own wait.
answer=$(ssh -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 \
  "$host" "$remote models status --check --plain" 2>/dev/null)
code=$?
# The answer is another machine's to write, and it is shown on this terminal and in a notification:
# a config value, or a login script's chatter, may hold escape sequences (which rewrite the screen
# or set the title) or more lines. The default model is the last line; only the characters of a
# model id are kept, the rest shown as "?".
model=$(printf '%s\n' "$answer" | sed -n '$p' | LC_ALL=C tr -c 'A-Za-z0-9@._:/+\n-' '?' | cut -c 1-120)
case "$code" in
  0) text="ok — default model ${model:-?}" ;;
  1) text="EXPIRED or missing credentials: run opensoul models status on $host" ;;
  2) text="expiring soon: run opensoul models status on $host" ;;
  3) text="gateway not reachable on $host: opensoul gateway start" ;;
  255) text="ssh to $host failed" ;;
  *) text="the check could not run on $host (exit $code)" ;;
esac
title="OpenSoul auth: $host"

if command -v termux-notification >/dev/null 2>&1; then
  # A fixed id: each run replaces the last notification instead of stacking up.
  termux-notification --id opensoul-auth --title "$title" --content "$text"
elif command -v termux-toast >/dev/null 2>&1; then
  termux-toast "$title: $text"
fi
printf '%s: %s\n' "$title" "$text"
exit "$code"
