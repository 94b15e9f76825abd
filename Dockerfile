# One image per service: `docker build --build-arg SERVICE=api .` compiles services/<SERVICE>/main.ts
# into a single Bun binary (migrations and Lua scripts are embedded) on a minimal base.
FROM oven/bun:1.4 AS build
ARG SERVICE
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production
COPY lib lib
COPY migrations migrations
COPY services services
RUN bun build --compile --minify --sourcemap "services/${SERVICE}/main.ts" --outfile /out/app

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
