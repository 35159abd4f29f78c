#!/usr/bin/env bash
# System packages sockgrade needs to grade: the sandbox (bubblewrap, util-linux's
# unshare/setpriv, iproute2's ip), compilers for C submissions, python3 for
# script submissions. Installs only what is missing. Used by .ci/run and by
# the images in docker/, so CI exercises the same steps as a grading host.
#   --for-tests      also what only the test suite uses: Chromium (the batch
#                    summary page), tshark (the pcapng traces), docutils (INGInious
#                    feedback rendered as INGInious does); --with-browser: the same
set -euo pipefail

for_tests=0
for arg in "$@"; do
  case "$arg" in
    --for-tests|--with-browser) for_tests=1 ;;
    *) echo "install-system-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have bwrap   || missing+=(bubblewrap)
have unshare || missing+=(util-linux)
have setpriv || missing+=(util-linux)
have ip      || missing+=(iproute2)
have gcc     || missing+=(gcc libc6-dev)
have make    || missing+=(make)
[ -x /usr/bin/python3 ] || missing+=(python3)   # the sandbox sees /usr only: python3 must be there
have zip     || missing+=(zip)       # tests pack student archives; docker/gradescope packs the autograder
if [ "$for_tests" = 1 ]; then
  /usr/bin/python3 -c 'import docutils' 2>/dev/null || missing+=(python3-docutils)
  have tshark   || missing+=(tshark)
  have chromium || missing+=(chromium)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  # Deduplicate, keep order.
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  echo "install-system-deps: installing ${pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: need root to install ${pkgs[*]} (sudo apt-get install ${pkgs[*]})" >&2
    exit 3
  fi
  if have apt-get; then
    export DEBIAN_FRONTEND=noninteractive
    # tshark's package asks whether non-root users may capture: no (we only read files).
    if have debconf-set-selections; then
      echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  elif have dnf; then
    # Red Hat family (INGInious images are Rocky Linux): three packages have other names there.
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sed -e 's/^iproute2$/iproute/' -e 's/^libc6-dev$/glibc-devel/' -e 's/^tshark$/wireshark-cli/')
    dnf -y -q install "${pkgs[@]}"
  else
    echo "install-system-deps: neither apt-get nor dnf found; install ${pkgs[*]} by hand" >&2
    exit 3
  fi
fi

# User namespaces must be allowed for non-root grading (root grading needs them too, for bwrap).
if [ -r /proc/sys/user/max_user_namespaces ] && [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
  echo "install-system-deps: user namespaces are disabled; enable: sysctl -w user.max_user_namespaces=15000" >&2
  exit 3
fi
echo "install-system-deps: bwrap $(bwrap --version | awk '{print $2}'), $(gcc --version | head -1), $(/usr/bin/python3 --version)"
