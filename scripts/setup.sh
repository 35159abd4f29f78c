#!/usr/bin/env bash
# The README's first command: from a fresh Debian/Ubuntu machine to a graded
# demo. Installs the system packages that are missing (as root, or through
# sudo for that part only: node_modules stays the user's), then the npm
# packages (npm ci, which builds sockgrade), then grades the demo.
# The system part is .ci/install-system-deps.sh, the script CI and the
# Docker images run, so a laptop gets what CI tests.
#   --no-demo   stop after the install
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option $arg (setup takes --no-demo)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo; then say "sudo $*"; sudo "$@"
  else echo "setup: run as root, or install sudo, to do: $*" >&2; exit 3
  fi
}

# Node 20 or later runs sockgrade; the distribution's nodejs when it is recent enough.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! have node || ! have npm || [ "$(node_major)" -lt 20 ]; then
  have apt-get && as_root apt-get update -qq   # a fresh machine (or image) has no package lists yet
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://' | cut -d. -f1)
  if have apt-get && [ "${candidate:-0}" -ge 20 ] 2>/dev/null; then
    say "installing nodejs ${candidate} and npm"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
  else
    echo "setup: sockgrade needs Node 20 or later (found: $(node --version 2>/dev/null || echo none));" \
      "this system's packages do not have it: install it from https://nodejs.org/en/download (or nodesource), then run this again" >&2
    exit 3
  fi
fi

# System packages: checked as this user; installed with root rights only when something is missing.
if ! out=$(bash .ci/install-system-deps.sh --for-tests 2>&1); then
  if grep -q 'need root to install' <<<"$out" && [ "$(id -u)" -ne 0 ]; then
    grep -v 'need root to install' <<<"$out" || true   # what is missing
    as_root bash .ci/install-system-deps.sh --for-tests
  else
    echo "$out" >&2
    exit 3
  fi
else
  echo "$out"
fi

say "npm ci (the npm packages, then the build)"
npm ci --no-audit --no-fund

if [ "$demo" = 1 ]; then
  say "grading the demo: a correct and a broken server"
  npm run --silent demo
  say "done. Next: npm test (the test suite), npx sockgrade --help"
else
  say "done. Next: npm run demo, npm test"
fi
