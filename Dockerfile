# Parcours in one image: `parcours start` by default, `parcours sim …` for the simulator service.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source (its prebuilt download is not always reachable).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY contracts/package.json contracts/
COPY broker/package.json broker/
COPY gateway/package.json gateway/
COPY analytics/package.json analytics/
COPY dashboards/package.json dashboards/
COPY firmware-sim/package.json firmware-sim/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PARCOURS_DATA_DIR=/app/data
COPY --from=build /app /app
VOLUME /app/data
EXPOSE 1883 8080
ENTRYPOINT ["node", "bin/parcours.js"]
CMD ["start"]
