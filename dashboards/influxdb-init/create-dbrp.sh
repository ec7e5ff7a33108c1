#!/bin/bash
# Run once by the influxdb:2.x image, after its initial set-up, against the set-up server (the image's
# entrypoint runs /docker-entrypoint-initdb.d/*.sh with the influx CLI configured and the new bucket's id in
# DOCKER_INFLUXDB_INIT_BUCKET_ID). Maps database "parcours", retention policy "autogen", to the bucket, so that
# InfluxQL — what the Grafana dashboards speak — reaches the data.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db parcours \
  --rp autogen \
  --default
