#!/usr/bin/env bash
# Starts a command in an emulated INGInious grading container, as INGInious's
# docker agent starts one (no Docker on this machine):
#   - a user namespace of its own, in which user.max_user_namespaces is 0: no
#     further user namespace can be made (Docker's default seccomp profile
#     refuses them too);
#   - a network namespace with only loopback up (networking off);
#   - the user "worker" (uid 4242), with no capability at all;
#   - sockgrade's install read-only, /task (with /task/student) writable,
#     /.__input read-only and /.__output writable, as INGInious's API uses them;
#   - the stand-in INGInious commands (bin/) on PATH.
# Run as root:
#   emulate.sh TASK_DIR INPUT_DIR OUTPUT_DIR -- CMD ARGS...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
worker=4242

if [ "${1:-}" = "--inside" ]; then
  # Stage 2: root of the new user namespace (host root's uid, no host capability).
  shift
  task="$1" input="$2" output="$3"
  shift 4
  # Per user namespace: from here on, no process in this one can make another.
  echo 0 > /proc/sys/user/max_user_namespaces
  ip link set lo up
  links=()
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    [ -e "$d" ] || continue
    if [ -L "$d" ]; then links+=(--symlink "$(readlink "$d")" "$d"); else links+=(--ro-bind "$d" "$d"); fi
  done
  install=()
  # Folders bwrap makes on the way to a mount are private to root: open them to worker.
  reach() {
    local d="$1" up=()
    while d="$(dirname "$d")" && [ "$d" != / ]; do up=("$d" "${up[@]}"); done
    for d in "${up[@]}"; do install+=(--perms 0755 --dir "$d"); done
    install+=(--ro-bind "$1" "$1")
  }
  reach "$root"
  if [ -L "$root/node_modules" ]; then reach "$(readlink -f "$root/node_modules")"; fi
  # bwrap, privileged here (root of this namespace), only builds the file view;
  # setpriv then becomes worker and drops every capability for good.
  # /tmp before the install: a checkout under /tmp is bound again on top of the container's own.
  exec bwrap --die-with-parent \
    --ro-bind /usr /usr "${links[@]}" --ro-bind /etc /etc \
    --dev /dev --proc /proc --perms 1777 --tmpfs /tmp "${install[@]}" \
    --bind "$task" /task --ro-bind "$input" /.__input --bind "$output" /.__output \
    --perms 0755 --dir /inginious --ro-bind "$here/bin" /inginious/bin --remount-ro / --clearenv \
    --setenv PATH /inginious/bin:/usr/local/bin:/usr/bin:/bin --setenv HOME /task \
    --setenv LANG C.UTF-8 --setenv SOCKGRADE "$root/bin/sockgrade.js" \
    --chdir /task -- \
    setpriv --reuid "$worker" --regid "$worker" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
fi

if [ $# -lt 5 ] || [ "$4" != "--" ]; then
  echo "usage: $0 TASK_DIR INPUT_DIR OUTPUT_DIR -- CMD ARGS..." >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "emulate.sh: run as root (it maps uid 4242 into a user namespace)" >&2
  exit 3
fi
chown -R "$worker:$worker" "$1" "$3"

# Stage 1: new user, network, mount and pid namespaces; the uid map (root and
# worker, each as itself) is written from here, once the namespace exists.
sync_dir="$(mktemp -d)"
trap 'rm -rf "$sync_dir"' EXIT
chmod 755 "$sync_dir"
mkfifo -m 666 "$sync_dir/go"
unshare --user --net --mount --pid --fork --kill-child --mount-proc -- \
  sh -c 'read -r _ < "$0"; exec "$@"' "$sync_dir/go" "$0" --inside "$@" &
pid=$!
mine="$(readlink /proc/self/ns/user)"
for _ in $(seq 1 5000); do
  ns="$(readlink "/proc/$pid/ns/user" 2>/dev/null || true)"
  [ -n "$ns" ] && [ "$ns" != "$mine" ] && break
  sleep 0.002   # polls for the namespace, with a deadline (5000 rounds)
done
# Each map must arrive in one write: printf's output is one string, written by cat.
map="$(printf '0 0 1\n%s %s 1' "$worker" "$worker")"
cat <<< "$map" > "/proc/$pid/uid_map"
cat <<< "$map" > "/proc/$pid/gid_map"
echo go > "$sync_dir/go"
wait "$pid"
