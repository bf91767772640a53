# syntax=docker/dockerfile:1
# Build stage: type-checks and bundles the server, builds the console and the better-sqlite3 native addon.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm can print "Exit handler never called!" and exit 0 after a broken registry connection, leaving
# node_modules half-filled; fail here, naming the cause, instead of at a misleading "tsc: not found".
RUN npm ci --no-audit --no-fund \
 && npm ls --all >/dev/null \
 && if [ ! -x node_modules/.bin/tsc ]; then echo "npm ci left no node_modules/.bin/tsc: registry or network failure" >&2; exit 1; fi \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The server is type-checked, then bundled by esbuild into dist/src/main.js (+ chunks and source maps).
COPY scripts/build-server.ts ./scripts/build-server.ts
# The console (ui/, a Vite project) is built beside the server into dist/ui and served at /ui.
COPY ui ./ui
# Keep only what runs: production dependencies, and of better-sqlite3 only its compiled addon
# (sources, the bundled SQLite amalgamation and object files are ~25 MB of build leftovers).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src binding.gyp \
 && mkdir -p build/Release && mv /tmp/better_sqlite3.node build/Release/ \
 && cd /app && node -e "new (require('better-sqlite3'))(':memory:').close()"

# Runtime stage: Node and production dependencies; npm, npx and corepack are not needed to run.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8000 HOST=0.0.0.0 DATA_DIR=/data
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && mkdir -p /data && chown node:node /data
WORKDIR /app
# Application files stay root-owned (read-only to the server); only DATA_DIR is the node user's.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json orchestration_config.json orchestration_config.schema.json ./
COPY addons ./addons
COPY templates ./templates
COPY --chmod=755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# No VOLUME: Railway refuses it; mount a Railway Volume (or `docker run -v`) at DATA_DIR instead.
# The container starts as root only for the entrypoint, which makes DATA_DIR the node user's (a
# freshly mounted volume is root-owned) and then runs the server as node (uid 1000) via setpriv.
# Run with `--user 1000` and the entrypoint changes nothing.
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
# V8's heap sized for a server whose live heap is ~35 MB (BENCHMARKS.md, issue 18): a 16 MB young
# generation instead of 32 MB, and the old generation let grow 1.5x its live size between full
# collections instead of up to 4x; one V8 background thread instead of four (fewer malloc arenas).
# package.json's start and scripts/start.sh/.bat use the same flags.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--v8-pool-size=1", "dist/src/main.js"]
