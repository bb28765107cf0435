#!/usr/bin/env sh
# Test dependencies that are not Python packages: the independent relying party of tests/test_openid_client_rp.py
# (npm `openid-client`, pinned by tests/rp_openid_client/package-lock.json). Called by `make test`; idempotent:
# `npm ci` runs only when node_modules is missing or the lock file changed since the last install.
# Without node/npm it says so and exits 0: the test then skips with that reason.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rp="$root/tests/rp_openid_client"
stamp="$rp/node_modules/.installed-lock.sha256"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== openid-client relying party NOT installed: node/npm not found (tests/test_openid_client_rp.py will skip)"
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "== openid-client relying party NOT installed: Node $(node --version) is older than 20 (the test will skip)"
  exit 0
fi

lock_sum=$(sha256sum "$rp/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] && [ -f "$rp/node_modules/openid-client/package.json" ]; then
  exit 0
fi
echo "== installing the openid-client relying party (npm ci --prefix tests/rp_openid_client)"
npm ci --prefix "$rp" --no-audit --no-fund --loglevel=error
echo "$lock_sum" > "$stamp"
