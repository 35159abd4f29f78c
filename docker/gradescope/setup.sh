#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (its autograder specification). The zip made by make-autograder.sh holds
# sockgrade's sources in sockgrade/ and the task in task/.
set -euo pipefail
cd "$(dirname "$0")"   # /autograder/source

# The same install script CI runs (.ci/run), so CI exercises these steps.
bash sockgrade/.ci/install-system-deps.sh

# Node 20: Gradescope's Ubuntu images may carry an older one.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  apt-get install -y -qq ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y -qq nodejs >/dev/null
fi

# npm ci runs "prepare" (tsc); the compiler is dropped afterwards. The native
# helpers are built now, into the image: every submission gets a fresh
# container, which would otherwise build them again.
(cd sockgrade && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
(cd sockgrade && node --input-type=module -e "const { compileNative } = await import('./dist/runner/sandbox/native.js'); for (const helper of ['launcher', 'remote-launch']) console.log(await compileNative('runner/sandbox/' + helper + '.c', 'exe'));")
ln -sf "$PWD/sockgrade/bin/sockgrade.js" /usr/local/bin/sockgrade
sockgrade tasks
