#!/bin/bash
# Run once by the influxdb:2.x image after its initial set-up: maps database "parcours" (retention policy
# "autogen") to the bucket, so that InfluxQL — what the Grafana dashboards speak — reaches the data.
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f1)
influx v1 dbrp create --db parcours --rp autogen --bucket-id "${bucket_id}" --default
