# syntax=docker/dockerfile:1
# Tandem server image: `docker build -t tandem .`, then see docker-compose.yml.
# Build stage: the whole workspace, with the toolchain better-sqlite3 compiles with.
# Node 24, the LTS line the test matrix covers (scripts/node-matrix.mjs runs the suites on it in CI).
FROM node:24-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV PNPM="npx -y pnpm@10.34.9" \
    CI=true \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# Manifests first, so the dependency layer is cached until a package.json or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs ./
COPY apps/server/package.json apps/server/
COPY apps/web/package.json apps/web/
COPY apps/cli/package.json apps/cli/
COPY packages/protocol/package.json packages/protocol/
COPY packages/doc-format/package.json packages/doc-format/
COPY packages/client/package.json packages/client/
COPY packages/editor/package.json packages/editor/
COPY packages/transform/package.json packages/transform/
COPY packages/test-utils/package.json packages/test-utils/
COPY bench/package.json bench/
COPY e2e/package.json e2e/
RUN $PNPM install --frozen-lockfile
COPY . .
RUN $PNPM turbo run build --filter=@tandem/server... --filter=@tandem/web... --filter=@tandem/cli...
# Production-only copies of the server and the CLI, with their workspace dependencies packed in.
RUN $PNPM --filter @tandem/server deploy --prod --legacy /out/apps/server \
  && $PNPM --filter @tandem/cli deploy --prod --legacy /out/apps/cli \
  && mkdir -p /out/apps/web && cp -r apps/web/dist /out/apps/web/dist

# Runtime stage: Node and the built files, nothing else; runs as the unprivileged `node` user.
FROM node:24-bookworm-slim
# MALLOC_TRIM_THRESHOLD_ (apps/server/runtime-env.json, decision 0025): glibc returns freed memory
# to the system instead of keeping what the store's threads and large documents once needed.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=1234 \
    DATA_DIR=/data \
    MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=root:root /out/ /app/
RUN mkdir -p /data && chown node:node /data \
  && printf '#!/bin/sh\nexec node /app/apps/cli/dist/main.js "$@"\n' > /usr/local/bin/tandem \
  && chmod 755 /usr/local/bin/tandem
USER node
VOLUME ["/data"]
EXPOSE 1234
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||1234)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: sessions closed with 1012, pending updates committed.
STOPSIGNAL SIGTERM
CMD ["node", "apps/server/dist/main.js"]
