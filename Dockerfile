# Tessera server image.
#   docker build -t tessera .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... -e ISSUER=https://auth.example.com \
#     -e KEY_ENCRYPTION_SECRET=... -e TOKEN_HASH_SECRET=... tessera
# The server applies pending migrations itself at boot, then listens on $HOST:$PORT.
# The CLI runs in the same image: `docker run ... tessera node bin/tessera.js users create alice --admin`
# (with compose: `docker compose exec tessera node bin/tessera.js ...`).

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: all dependencies, then swc compiles src/ and migrations/ into dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY .swcrc ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# --- prod-deps: production dependencies only (prebuilt argon2 binary, PGlite wasm) ---
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# --- runtime: compiled code, production node_modules, the CLI; no src/ (so bin/tessera.js
# never tries to rebuild) and no compiler ---
FROM ${NODE_IMAGE} AS runtime
# HOST: the default 127.0.0.1 would be unreachable from outside the container.
# TESSERA_DATA_DIR: used only without DATABASE_URL (embedded PGlite); writable by the
# server's user, mount a volume there to keep it.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    TESSERA_DATA_DIR=/var/lib/tessera \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
# Owned by root and read-only to the server's user.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The hosted pages' templates and stylesheet, read at boot.
COPY views ./views
USER node
EXPOSE 3000
# Liveness via node itself (slim images have no curl or wget).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 handles SIGTERM itself: it finishes in-flight requests, closes the pool, exits.
CMD ["node", "dist/src/main.js"]
