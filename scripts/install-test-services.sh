#!/usr/bin/env bash
# Installs the Debian packages of the servers that the tests start (InfluxDB 1.x, Mosquitto, Redis, PostgreSQL),
# docker-compose (to validate docker-compose.yml), chromium (the dashboards' screenshot script) and R with its
# sampling, survey and MASS packages (the references the sampling and weighting statistics are checked
# against), only when missing. Never starts a system service: the tests start their own servers on loopback
# ports.
set -euo pipefail

declare -A binary_of=(
  [influxdb]=influxd
  [mosquitto]=mosquitto
  [mosquitto-clients]=mosquitto_pub
  [redis-server]=redis-server
  [docker-compose]=docker-compose
  [chromium]=chromium
  [r-base-core]=Rscript
)
# Packages that install no binary of their own, each with the command that succeeds once it is installed.
declare -A check_of=(
  [r-cran-sampling]="Rscript -e 'library(sampling)'"
  [r-cran-survey]="Rscript -e 'library(survey)'"
  [r-cran-mass]="Rscript -e 'library(MASS)'"
  [postgresql]="ls /usr/lib/postgresql/*/bin/initdb"
)

missing=()
for package in "${!binary_of[@]}"; do
  command -v "${binary_of[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
for package in "${!check_of[@]}"; do
  sh -c "${check_of[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]} (Debian packages)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packages' services from starting, where the image does not already do so; PostgreSQL's
# package makes no cluster of its own (the tests make theirs).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
mkdir -p /etc/postgresql-common
[ -e /etc/postgresql-common/createcluster.conf ] || echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
