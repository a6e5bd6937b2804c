#!/usr/bin/env bash
# Builds the web dashboard: installs the locked npm packages when they are missing or older than the
# lock file, type-checks, and bundles with Vite into dashboards/web/dist, or into the folder given as
# the first argument. sterifleetd serves the result from http.dashboard_dir.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-dist}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc --noEmit
npx --no-install vite build --outDir "$out" --emptyOutDir --logLevel warn
echo "dashboard built in $(cd "$out" && pwd)"
