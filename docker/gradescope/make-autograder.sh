#!/usr/bin/env bash
# Makes the zip to upload as a Gradescope autograder for one task:
#   docker/gradescope/make-autograder.sh TASK [OUT.zip]
# TASK is a task id (a folder under tasks/) or a task folder. The zip holds
# setup.sh and run_autograder at its root, sockgrade's sources in sockgrade/
# (with .ci/install-system-deps.sh) and the task in tasks/<task id>/, so that
# reports name the task by its id.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 TASK [OUT.zip]" >&2
  exit 2
fi
task="$1"
[ -f "$task/task.yaml" ] || task="$root/tasks/$1"
if [ ! -f "$task/task.yaml" ]; then
  echo "make-autograder: no task '$1': neither a folder with a task.yaml nor one under tasks/" >&2
  exit 2
fi
out="$(realpath -m "${2:-autograder.zip}")"
id="$(basename "$(realpath "$task")")"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$here/setup.sh" "$here/run_autograder" "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder"
mkdir -p "$stage/sockgrade/.ci"
cp "$root/package.json" "$root/package-lock.json" "$root/tsconfig.json" "$stage/sockgrade/"
cp -r "$root/bin" "$root/grader" "$root/runner" "$stage/sockgrade/"
cp "$root/.ci/install-system-deps.sh" "$stage/sockgrade/.ci/"
mkdir "$stage/tasks"
cp -r "$task" "$stage/tasks/$id"
rm -f "$out"
# python3's zipfile: no zip program needed (install-system-deps.sh brings python3).
(cd "$stage" && python3 -m zipfile -c "$out" setup.sh run_autograder sockgrade tasks)
echo "make-autograder: wrote $out"
