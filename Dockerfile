# One image per service: `docker build --build-arg SERVICE=api .` compiles services/<SERVICE>/main.ts
# into a single Bun binary (migrations, Lua scripts, the dashboard and the API reference bundle are
# embedded) on a minimal base.
# SERVICE: api | worker | scheduler | webhooks | migrate | cloudsim | ui (the dashboard: bun bundles
# ui/ into it) | webhook-sink (development)
FROM oven/bun:1.4.5 AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<api|worker|scheduler|webhooks|migrate|cloudsim|ui|webhook-sink>" >&2; exit 1; }
WORKDIR /src
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production
COPY lib lib
COPY migrations migrations
COPY services services
COPY ui ui
COPY scripts/build.ts scripts/build.ts
# The same build as `bun run build` (scripts/build.ts): --minify with the source map embedded, so
# stack traces name source files and lines; BUILD_COMMIT goes into --version (no .git in here).
ARG BUILD_COMMIT=""
RUN test -f "services/${SERVICE}/main.ts" || { echo "no services/${SERVICE}/main.ts" >&2; exit 1; } \
 && BUILD_COMMIT="${BUILD_COMMIT}" bun scripts/build.ts --only "${SERVICE}" --outdir /out \
 && mv "/out/csecbridge-${SERVICE}" /out/app

# glibc + libstdc++ and nothing else: no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
ARG SERVICE
LABEL org.opencontainers.image.title="csecbridge-${SERVICE}"
COPY --from=build /out/app /app
# Numeric, so Kubernetes' runAsNonRoot can verify it (a user name cannot be checked).
USER 65532:65532
ENTRYPOINT ["/app"]
