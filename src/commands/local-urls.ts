import type { Config } from '@parcours/contracts';

/** A listening address as a client reaches it: a wildcard address means this machine. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Where client commands find the Parcours of their configuration (`-c`, `PARCOURS_*`): its HTTP API and its
 * embedded broker, so that a server moved to other ports is found with the same settings.
 */
export function localUrls(config: Readonly<Config>): { api: string; broker: string } {
  return {
    api: `http://${reachableHost(config.http.host)}:${config.http.port}`,
    broker: `mqtt://${reachableHost(config.mqtt.host)}:${config.mqtt.port}`,
  };
}
