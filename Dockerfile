# syntax=docker/dockerfile:1
# navbridge image (README "Deployment"). Multi-stage: `build` compiles TypeScript with every dependency;
# `runtime` (the default target) holds production dependencies, the compiled code, migrations, mappings
# and profiles, runs as the non-root `node` user, and starts node itself (exec form): SIGTERM from the
# engine reaches navbridge, which stops within its documented bound. `sandbox` is the partner FHIR
# server of the compose stack (test support, for trying navbridge out; never a production partner).
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prime-sushi-cache.mjs ./scripts/
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY scripts/prime-definitions.mjs ./scripts/
# tsc, then the slim base FHIR definitions' cache (dist/fhir-definitions/): what `npm run build` does.
RUN npx tsc -p tsconfig.json && node scripts/prime-definitions.mjs

FROM build AS sandbox
COPY test/support ./test/support
USER node
EXPOSE 8101
CMD ["node", "--import", "tsx", "test/support/sandbox/main.ts", "--host", "0.0.0.0", "--port", "8101", "--name", "trust"]

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0 \
    NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY package.json package-lock.json ./
# No dev dependencies, no bundled Node binary (the base image has Node 24), no install scripts (the
# postinstall primes the profile compiler's cache, a development tool).
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
COPY mappings ./mappings
COPY profiles ./profiles
COPY public ./public
COPY navbridge.config.example.yaml ./
USER node
EXPOSE 8080 9464
# Liveness on the probe port (every command has it: serve, worker, start).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/navbridge.js"]
CMD ["start"]
