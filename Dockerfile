# syntax=docker/dockerfile:1
# Swirl in a container: `docker build -t swirl .`, then
#   docker run --rm swirl run /app/samples/hello/hello.yaml --input @/app/samples/hello/input.json --store memory
#   docker run -p 3500:3500 -v "$PWD/workflows:/data/workflows:ro" swirl          (swirl serve)
# Two stages: the build stage has the dev dependencies (TypeScript) and a C++ toolchain for
# better-sqlite3 when no prebuilt binary fits; the runtime stage has only the production
# dependencies, dist/, the launcher, the gRPC protos and the samples, and runs as the `node` user.

FROM node:20-slim AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs the sources, copied below; the one native addon is
# rebuilt explicitly.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build also bundles the CLI (scripts/build-cli.mjs) and the dashboard (scripts/build-ui.mjs, from ui/).
COPY scripts ./scripts
COPY ui ./ui
RUN npm rebuild better-sqlite3 \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
COPY samples ./samples
# /data: the working directory of `swirl serve` — its SQLite store (swirl.db), ./workflows and a
# swirl.yaml, all found there by default. Owned by the unprivileged user the server runs as.
RUN mkdir -p /data/workflows && chown -R node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3500 50001
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3500/v1.0/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/swirl"]
# In a container the port must be reachable from outside it: listen on every interface (set
# SWIRL_API_TOKEN, or mount a token file and pass --api-token-file, before publishing the port).
CMD ["serve", "--host", "0.0.0.0"]
