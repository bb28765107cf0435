#!/usr/bin/env sh
# Test dependencies that are not Python packages. Called by `make test`; idempotent and quick when already installed.
#
# 1. The independent relying party of tests/test_openid_client_rp.py (npm `openid-client`, pinned by
#    tests/rp_openid_client/package-lock.json): `npm ci` runs only when node_modules is missing or the lock file
#    changed since the last install. Without node/npm it says so: that test then skips with the reason.
# 2. Debian's Chromium (/usr/bin/chromium) for the browser tests of tests/browser/, which drive it with the Python
#    package `playwright` (pinned in pyproject's `test` extra; pip installs its driver). `playwright install` is never
#    run: it downloads a browser of its own, which this project does not use. apt-get runs only when
#    /usr/bin/chromium is missing and we are root; otherwise the browser tests skip and say why.
# Neither part fails `make test`: a missing dependency is a skipped test with its reason, never a broken run.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

install_openid_client() {
  rp="$root/tests/rp_openid_client"
  stamp="$rp/node_modules/.installed-lock.sha256"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "== openid-client relying party NOT installed: node/npm not found (tests/test_openid_client_rp.py will skip)"
    return 0
  fi
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "== openid-client relying party NOT installed: Node $(node --version) is older than 20 (the test will skip)"
    return 0
  fi
  lock_sum=$(sha256sum "$rp/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] && [ -f "$rp/node_modules/openid-client/package.json" ]; then
    return 0
  fi
  echo "== installing the openid-client relying party (npm ci --prefix tests/rp_openid_client)"
  npm ci --prefix "$rp" --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
}

install_chromium() {
  chromium=/usr/bin/chromium
  if [ -x "$chromium" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "== Chromium NOT installed: $chromium is missing and installing it needs root and apt-get" \
         "(apt-get install chromium); the browser tests (tests/browser/) will skip"
    return 0
  fi
  echo "== installing Debian's chromium (apt-get install chromium) for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends chromium >/dev/null; then
    # A fresh machine may have no package lists yet: update them once and try again.
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null || true
  fi
  if [ ! -x "$chromium" ]; then
    echo "== Chromium NOT installed: apt-get install chromium failed; the browser tests (tests/browser/) will skip"
  fi
}

install_openid_client
install_chromium
