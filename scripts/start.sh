#!/usr/bin/env sh
# Install if needed, build, start. Usage: scripts/start.sh  (PORT, .env respected)
set -eu
cd "$(dirname "$0")/.."
command -v node >/dev/null 2>&1 || { echo "Node.js 20.19+, 22.13+ or 24+ is required" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node.js 20.19+, 22.13+ or 24+ is required (found $(node -v))" >&2; exit 1; }
[ -f .env ] || { [ -f .env.example ] && cp .env.example .env && echo "created .env from .env.example"; }
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
# The node flags of the Dockerfile CMD and package.json start (V8 heap sizing and threads, see BENCHMARKS.md).
exec node --max-semi-space-size=8 --heap-growing-percent=50 --v8-pool-size=1 dist/src/main.js
