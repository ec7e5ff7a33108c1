import { ensureInstalled, ensureRPackage } from './ensure-installed.js';

/**
 * Vitest global set-up: installs the test servers once, before the test files start in parallel, so that
 * two files never run apt-get at the same time on a fresh machine.
 */
export default function setup(): void {
  for (const binary of ['influxd', 'mosquitto', 'mosquitto_pub', 'redis-server', 'docker-compose', 'chromium', 'Rscript']) ensureInstalled(binary);
  ensureRPackage('sampling');
}
