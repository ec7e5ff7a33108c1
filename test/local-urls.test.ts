import { describe, expect, it } from 'vitest';
import { localUrls } from '../src/commands/local-urls.js';
import { loadConfig } from '../src/config/load-config.js';

describe('localUrls', () => {
  it("finds the server's API and broker at the ports of the configuration, a wildcard address as localhost", () => {
    const config = loadConfig({ env: { PARCOURS_HTTP_PORT: '9090', PARCOURS_MQTT_PORT: '2883' } });
    expect(localUrls(config)).toEqual({ api: 'http://localhost:9090', broker: 'mqtt://localhost:2883' });
  });

  it('keeps a given address, an IPv6 one in brackets', () => {
    const config = loadConfig({ env: { PARCOURS_HTTP_HOST: '::1', PARCOURS_MQTT_HOST: '127.0.0.1' } });
    expect(localUrls(config)).toEqual({ api: 'http://[::1]:8080', broker: 'mqtt://127.0.0.1:1883' });
  });
});
