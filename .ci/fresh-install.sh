#!/usr/bin/env bash
# CI: sockgrade grades wherever it is installed, the first time. From fresh
# clones of this repository:
#   1. as root, from a private (0700) folder like /root or a fresh mktemp -d;
#   2. as an ordinary user (created here with useradd), then from a read-only
#      install (dist/ not writable, no helpers built): helpers go to its cache;
#   3. a batch with --jobs 4 on an empty helper cache, 3 times: no `error`.
# Run by .ci/run after the tests, as root (it needs useradd and runuser).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ci_user=sockgrade-ci
node_bin="$(command -v node)"

if [ "$(id -u)" != 0 ]; then
  echo "fresh-install: must run as root (it grades as root and as a user it creates)" >&2
  exit 2
fi

started=$SECONDS
made=()
cleanup() { for d in "${made[@]}"; do chmod -R u+w "$d" 2>/dev/null || true; rm -rf "$d"; done; }
trap cleanup EXIT
step() { echo "fresh-install: [$((SECONDS - started)) s] $*"; }
fail() { echo "fresh-install: FAILED: $*" >&2; exit 1; }

# Grades a fixture with `sockgrade grade` as the given user (root: "") and demands 100/100.
grade_full() {
  local who="$1" dir="$2" task="$3" submission="$4" out
  shift 4
  local run=(env "$@" "$node_bin" bin/sockgrade.js grade "$task" "$submission" --format json)
  [ -n "$who" ] && run=(runuser -u "$who" -- "${run[@]}")
  out="$(cd "$dir" && "${run[@]}" </dev/null)" || fail "grade $task as ${who:-root} exited $?"
  node -e 'const r = JSON.parse(process.argv[1]); if (r.score !== 100) { console.error(r.result, r.score, r.build.output); process.exit(1); }' "$out" \
    || fail "grade $task as ${who:-root} from $dir did not get 100"
  step "  $task as ${who:-root}: 100/100"
}

# Grades as $ci_user through the command itself (its shell line, `node` found on PATH), as a user types it;
# demands 100/100 and the job started before the CLI loaded, by $2, taken.
grade_command() {
  local dir="$1" starter="$2" out
  shift 2
  out="$(cd "$dir" && runuser -u "$ci_user" -- env "$@" PATH="$(dirname "$node_bin"):$PATH" SOCKGRADE_LOG=debug \
    ./bin/sockgrade.js grade sockets-creating-a-socket fixtures/sockets-creating-a-socket/correct/submission.c --format json 2>&1 </dev/null)" \
    || fail "./bin/sockgrade.js grade as $ci_user exited $?: $out"
  grep -q "\"startedBy\":\"$starter\",\"taken\":true" <<<"$out" || fail "the job $starter started was not taken: $out"
  grep -q '"score": 100,' <<<"$out" || fail "./bin/sockgrade.js grade as $ci_user did not get 100: $out"
  step "  the command itself as $ci_user: the job $starter started taken, 100/100"
}

# A fresh clone with its dependencies, installed as `npm ci` does (prepare builds it).
install_clone() {
  local dest="$1"
  git clone -q "$repo" "$dest"
  (cd "$dest" && npm ci --offline --no-audit --no-fund </dev/null >/dev/null 2>&1) || {
    # No npm cache to install offline from: the checkout's own dependencies, same lockfile.
    cp -a "$repo/node_modules" "$dest/node_modules"
    (cd "$dest" && npm run -s build </dev/null)
  }
}

# 1. Root, from a private folder: the sandbox's uid cannot reach the checkout.
root_dir="$(mktemp -d)"; made+=("$root_dir")
[ "$(stat -c %a "$root_dir")" = 700 ] || fail "mktemp -d is not 0700"
step "1. root, from a fresh clone in $root_dir (mode 700)"
install_clone "$root_dir/p"
grade_full "" "$root_dir/p" calculator-server fixtures/calculator-server/correct-c-plain/submission
grade_full "" "$root_dir/p" sockets-creating-a-socket fixtures/sockets-creating-a-socket/correct/submission.c

# 2. An ordinary user, from a clone in a folder it owns; then a read-only install.
id "$ci_user" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$ci_user"
runuser -u "$ci_user" -- "$node_bin" --version >/dev/null || fail "user $ci_user cannot run $node_bin"
user_dir="$(runuser -u "$ci_user" -- mktemp -d)"; made+=("$user_dir")
step "2. user $ci_user, from a fresh clone in $user_dir"
git clone -q "$repo" "$user_dir/p"
cp -al "$root_dir/p/node_modules" "$user_dir/p/node_modules" # links: the copy is instant
mkdir "$user_dir/home"
chown -R "$ci_user:" "$user_dir/p" "$user_dir/home"
user_env=(HOME="$user_dir/home" XDG_CACHE_HOME="$user_dir/home/.cache")
(cd "$user_dir/p" && runuser -u "$ci_user" -- env "${user_env[@]}" npm run -s build </dev/null)
grade_full "$ci_user" "$user_dir/p" calculator-server fixtures/calculator-server/correct-c-plain/submission "${user_env[@]}"
# As the user types it: the command itself, whose shell line starts the job through dist/native/reaper before Node.
grade_command "$user_dir/p" "shell line" "${user_env[@]}"
# What the student's program sees as this user (the job in a user namespace): /etc read-only, sockgrade's own files too.
(cd "$user_dir/p" && runuser -u "$ci_user" -- env "${user_env[@]}" "$node_bin" node_modules/vitest/vitest.mjs run test/sandbox.test.ts \
  -t 'shows the system programs' </dev/null >"$user_dir/home/sandbox-test.log" 2>&1) \
  || { cat "$user_dir/home/sandbox-test.log" >&2; fail "the sandbox's /etc test failed as $ci_user"; }
step "   the sandbox's /etc as $ci_user: read-only, nothing private"
step "   read-only install: dist/ not writable, no helpers in it"
rm -rf "$user_dir/p/dist/native"
chmod -R a-w "$user_dir/p/dist"
grade_full "$ci_user" "$user_dir/p" calculator-server fixtures/calculator-server/correct-c-plain/submission "${user_env[@]}"
# Without dist/native/reaper the shell line starts Node at once, and bin/sockgrade.js starts the job.
grade_command "$user_dir/p" "bin/sockgrade.js" "${user_env[@]}"
grade_full "$ci_user" "$user_dir/p" sockets-creating-a-socket fixtures/sockets-creating-a-socket/correct/submission.c "${user_env[@]}"
ls "$user_dir/home/.cache/sockgrade"/launcher-* >/dev/null 2>&1 || fail "the read-only install did not build its launcher in the user's cache"
[ ! -e "$user_dir/p/dist/native" ] || fail "a read-only install was written to"

# 3. Batches on an empty helper cache: every job asks for the launcher at once.
class="$root_dir/class"
mkdir "$class"
for f in correct-c-plain correct-c-makefile correct-python crash-on-empty exits-after-one host-byte-order opcode-wrong-bits s-set-on-errors; do
  cp -r "$repo/fixtures/calculator-server/$f/submission" "$class/$f"
done
for i in 1 2 3; do
  cache_base="$(mktemp -d)"; made+=("$cache_base")
  chmod 755 "$cache_base" # as root, the sandbox's uid must reach the cache
  (cd "$root_dir/p" && SOCKGRADE_CACHE="$cache_base/cache" "$node_bin" bin/sockgrade.js batch calculator-server "$class" \
    --out "$cache_base/grades" --jobs 4 </dev/null >/dev/null 2>"$cache_base/stderr") \
    || { cat "$cache_base/stderr" >&2; fail "batch $i exited non-zero"; }
  csv="$cache_base/grades/grades.csv"
  [ "$(tail -n +2 "$csv" | wc -l)" = 8 ] || fail "batch $i: $(tail -n +2 "$csv" | wc -l) grades, not 8"
  if cut -d, -f3 "$csv" | grep -qx error; then
    grep ',error' "$csv" >&2
    # Why, from each report the grader failed on: its error and each test it could not judge.
    "$node_bin" -e 'const fs = require("fs"); const d = process.argv[1];
      for (const f of fs.readdirSync(d).filter((n) => n.endsWith(".json"))) {
        const r = JSON.parse(fs.readFileSync(`${d}/${f}`, "utf8"));
        if (r.result !== "error") continue;
        console.error(`${f}: ${r.error ?? ""}`);
        for (const t of r.tests) if (t.result === "error") console.error(`  ${t.id}: ${t.feedback}`);
      }' "$cache_base/grades/reports"
    cat "$cache_base/stderr" >&2
    fail "batch $i: a result 'error'"
  fi
  [ "$(grep -c ',100,success' "$csv")" = 3 ] || fail "batch $i: the 3 correct submissions did not all get 100"
  step "3. batch $i with --jobs 4 on an empty helper cache: 8 graded, no error"
done

step "all passed"
