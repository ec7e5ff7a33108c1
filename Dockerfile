# Parcours in one image: `node bin/parcours.js start` by default; the compose stack's simulator runs
# `node bin/parcours.js sim …` from the same image.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source (its prebuilt download is not always reachable).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY contracts/package.json contracts/
COPY broker/package.json broker/
COPY gateway/package.json gateway/
COPY analytics/package.json analytics/
COPY dashboards/package.json dashboards/
COPY firmware-sim/package.json firmware-sim/
COPY geography/package.json geography/
COPY sampling/package.json sampling/
COPY weighting/package.json weighting/
COPY surveys/package.json surveys/
COPY panels/package.json panels/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm prune --omit=dev

# Same base as the build stage, so the compiled better-sqlite3 addon runs as built.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PARCOURS_DATA_DIR=/app/data
COPY --from=build /app /app
# A named volume mounted here takes this folder's owner, so the unprivileged user can write to it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 1883 8080
CMD ["node", "bin/parcours.js", "start"]
