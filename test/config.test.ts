import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, ParcoursError } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';

function failure(run: () => unknown): ParcoursError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParcoursError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('gives the documented defaults with no configuration', () => {
    const config = loadConfig({ env: {} });
    expect(config.data.dir).toBe('./data');
    expect(config.http.port).toBe(8080);
    expect(config.mqtt.port).toBe(1883);
    expect(config.mqtt.allowAnonymous).toBe(false);
    expect(config.sim.scenario).toBe('small');
    expect(config.analytics.sessionIdleTimeout).toBe(30 * 60_000);
    expect(Object.isFrozen(config.mqtt)).toBe(true);
  });

  it('reads environment variables, with the InfluxDB ecosystem names for the influx section', () => {
    const config = loadConfig({
      env: {
        PARCOURS_HTTP_PORT: '9090',
        PARCOURS_MQTT_ALLOW_ANONYMOUS: 'true',
        INFLUX_URL: 'http://127.0.0.1:8086',
        INFLUX_BATCH_SIZE: '250',
        INFLUX_HOST: 'ignored',
      },
    });
    expect(config.http.port).toBe(9090);
    expect(config.mqtt.allowAnonymous).toBe(true);
    expect(config.influx.url).toBe('http://127.0.0.1:8086');
    expect(config.influx.batchSize).toBe(250);
  });

  it('lets the environment override a YAML file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-config-'));
    const file = join(dir, 'parcours.yaml');
    writeFileSync(file, 'http:\n  port: 7070\nmqtt:\n  port: 1999\n');
    const config = loadConfig({ env: { PARCOURS_MQTT_PORT: '2000' }, file });
    expect(config.http.port).toBe(7070);
    expect(config.mqtt.port).toBe(2000);
  });

  it('reads no bare number as a duration in a file either, nor in its session rules and funnels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-config-'));
    const file = join(dir, 'parcours.json');
    const funnel = { name: 'f', steps: [{ deviceType: 'tv' }, { deviceType: 'car' }], window: 3600, countBy: 'individual' };
    writeFileSync(file, JSON.stringify({ analytics: { journeyGap: 1800000, sessionRules: { tv: { idleTimeout: 600 } }, funnels: [funnel] } }));
    const error = failure(() => loadConfig({ env: {}, file }));
    expect(error.message).toContain('analytics.journeyGap = 1800000: not a duration such as 500ms, 30s');
    expect(error.message).toMatch(/analytics\.sessionRules.*tv\.idleTimeout: not a duration/);
    expect(error.message).toMatch(/analytics\.funnels.*0\.window: not a duration/);
  });

  it('lists every problem by path: unknown keys, unknown variables, bad values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-config-'));
    const file = join(dir, 'parcours.json');
    writeFileSync(file, JSON.stringify({ http: { port: 'eighty', colour: 'blue' }, nonsense: {} }));
    const error = failure(() => loadConfig({ env: { PARCOURS_MQTT_PORTT: '1', PARCOURS_ANALYTICS_SESSION_IDLE_TIMEOUT: 'soon' }, file }));
    expect(error.code).toBe(errorCodes.config);
    expect(error.message).toContain('PARCOURS_MQTT_PORTT: not a Parcours setting');
    expect(error.message).toContain('http.port = "eighty": not a port');
    expect(error.message).toContain('colour');
    expect(error.message).toContain('nonsense');
    expect(error.message).toContain('PARCOURS_ANALYTICS_SESSION_IDLE_TIMEOUT=soon: not a duration such as 500ms, 30s');
  });

  it('names the environment variable the user set, with its value, in words', () => {
    const error = failure(() =>
      loadConfig({
        env: {
          PARCOURS_HTTP_PORT: 'abc',
          PARCOURS_MQTT_MAX_CONNECTIONS: '2.5',
          PARCOURS_MQTT_ALLOW_ANONYMOUS: 'maybe',
          PARCOURS_ANALYTICS_JOURNEY_GAP: '1800000',
          PARCOURS_SIM_SPEED: '-1',
        },
      }),
    );
    expect(error.message).toContain('PARCOURS_HTTP_PORT=abc: not a port (a whole number from 0 to 65535)');
    expect(error.message).toContain('PARCOURS_MQTT_MAX_CONNECTIONS=2.5: not a whole number ≥ 1');
    expect(error.message).toContain('PARCOURS_MQTT_ALLOW_ANONYMOUS=maybe: not true or false');
    // One duration syntax everywhere: a bare number is not a duration.
    expect(error.message).toContain('PARCOURS_ANALYTICS_JOURNEY_GAP=1800000: not a duration such as 500ms, 30s, 5m, 1h or 7d');
    expect(error.message).toContain('PARCOURS_SIM_SPEED=-1: not a number > 0');
    expect(error.message).not.toContain('NaN');
  });

  it('refuses an empty variable (not port 0), naming the default that unsetting it gives', () => {
    const error = failure(() => loadConfig({ env: { PARCOURS_HTTP_PORT: '', PARCOURS_DATA_DIR: '' } }));
    expect(error.message).toContain('PARCOURS_HTTP_PORT is empty: give it a value, or unset it for the default (8080)');
    expect(error.message).toContain('PARCOURS_DATA_DIR is empty');
    // The client commands' key is no setting, and no mistake either: a shell may hold it while the server starts.
    expect(loadConfig({ env: { PARCOURS_API_KEY: 'pk_x' } }).http.port).toBe(8080);
    // Where empty means something (no InfluxDB), it is a value.
    expect(loadConfig({ env: { INFLUX_URL: '' } }).influx.url).toBe('');
  });

  it('never repeats a secret it refuses', () => {
    const error = failure(() => loadConfig({ env: { PARCOURS_HTTP_ADMIN_KEY: 'tooShortSecret' } }));
    expect(error.message).toContain('PARCOURS_HTTP_ADMIN_KEY=(hidden): shorter than 24 characters');
    expect(error.message).not.toContain('tooShortSecret');
  });

  it('reads per-type session rules as JSON from the environment, with durations, and reports a bad rule by path', () => {
    const rules = JSON.stringify({ tv: { threshold: { metric: 'power_w', threshold: 20, closeAfter: '2m' }, idleTimeout: '10m' } });
    const { sessionRules } = loadConfig({ env: { PARCOURS_ANALYTICS_SESSION_RULES: rules } }).analytics;
    expect(sessionRules).toEqual({
      tv: { threshold: { metric: 'power_w', comparison: 'above', threshold: 20, hysteresis: 0, closeAfter: 120_000, minDuration: 0 }, idleTimeout: 600_000 },
    });
    const bad = failure(() =>
      loadConfig({ env: { PARCOURS_ANALYTICS_SESSION_RULES: '{"tv":{"threshold":{"metric":"power_w","threshold":20,"comparison":"over"}}}' } }),
    );
    expect(bad.message).toContain('PARCOURS_ANALYTICS_SESSION_RULES, at tv.threshold.comparison: ');
    expect(failure(() => loadConfig({ env: { PARCOURS_ANALYTICS_SESSION_RULES: '{tv' } })).message).toContain('PARCOURS_ANALYTICS_SESSION_RULES={tv: ');
  });

  it('declares the example funnel unless funnels are given, whatever the fleet', () => {
    const example = { name: 'morning', countBy: 'collective', window: 3_600_000, steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] };
    expect(loadConfig({ env: {} }).analytics.funnels).toEqual([example]);
    expect(loadConfig({ env: { PARCOURS_SIM_SCENARIO: 'none' } }).analytics.funnels).toEqual([example]);
    expect(loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: '[]' } }).analytics.funnels).toEqual([]);
  });

  it('reads funnels as JSON from the environment and reports a bad one by path', () => {
    const morning = { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], window: '2h', countBy: 'individual' };
    const { funnels } = loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: JSON.stringify([morning]) } }).analytics;
    expect(funnels).toEqual([{ ...morning, window: 7_200_000 }]);
    const bad = (funnels: unknown) => failure(() => loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: JSON.stringify(funnels) } })).message;
    const at = 'PARCOURS_ANALYTICS_FUNNELS, at';
    expect(bad([morning, { ...morning, countBy: 'collective' }])).toContain(`${at} 1.name: funnel name "morning" is declared twice`);
    expect(bad([{ ...morning, steps: [{ deviceType: 'tv' }] }])).toContain(`${at} 0.steps: a funnel has at least 2 steps`);
    expect(bad([{ ...morning, steps: [{ deviceType: 'tv', eventType: 'door.opened' }, { deviceType: 'car' }] }])).toContain(
      `${at} 0.steps.0: a step is either`,
    );
    expect(bad([{ ...morning, window: '0s' }])).toContain(`${at} 0.window: the window must be longer than 0`);
    expect(bad([{ ...morning, countBy: 'household' }])).toContain(`${at} 0.countBy: `);
  });

  it('keeps the broker state in the data folder by default, and needs a Redis URL for cluster mode', () => {
    expect(loadConfig({ env: {} }).mqtt.persistence).toBe('level');
    const missing = failure(() => loadConfig({ env: { PARCOURS_MQTT_PERSISTENCE: 'redis' } }));
    expect(missing.message).toContain('mqtt.redisUrl (PARCOURS_MQTT_REDIS_URL): required when persistence is redis');
    // A Redis URL may hold a password: it is not repeated.
    const wrong = failure(() => loadConfig({ env: { PARCOURS_MQTT_PERSISTENCE: 'redis', PARCOURS_MQTT_REDIS_URL: 'http://user:pw@127.0.0.1:6379' } }));
    expect(wrong.message).toContain('PARCOURS_MQTT_REDIS_URL=(hidden): not a redis:// or rediss:// URL');
    expect(wrong.message).not.toContain('pw@');
    const cluster = loadConfig({ env: { PARCOURS_MQTT_PERSISTENCE: 'redis', PARCOURS_MQTT_REDIS_URL: 'redis://127.0.0.1:6379/2' } });
    expect(cluster.mqtt).toMatchObject({ persistence: 'redis', redisUrl: 'redis://127.0.0.1:6379/2' });
  });

  it('reads the node settings, and refuses a standby with no lease to wait for', () => {
    const config = loadConfig({
      env: {
        PARCOURS_NODE_STANDBY: 'true',
        PARCOURS_NODE_LEASE_TTL: '3s',
        PARCOURS_MQTT_PERSISTENCE: 'redis',
        PARCOURS_MQTT_REDIS_URL: 'redis://127.0.0.1:6379',
      },
    });
    expect(config.node).toEqual({ id: '', standby: true, leaseTtl: 3000 });
    const error = failure(() => loadConfig({ env: { PARCOURS_NODE_STANDBY: 'true' } }));
    expect(error.message).toContain('PARCOURS_NODE_STANDBY=true: a standby needs a lease shared with the active node');
    expect(failure(() => loadConfig({ env: { PARCOURS_NODE_LEASE_TTL: '500ms' } })).message).toContain('PARCOURS_NODE_LEASE_TTL=500ms: at least 1s');
  });
});

describe('the compose stack', () => {
  it("gives Parcours settings it accepts, the dashboards' funnel included", () => {
    const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const env = Object.fromEntries(Object.entries(compose.services.parcours!.environment!).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    const config = loadConfig({ env });
    expect(config.analytics.funnels.map((f) => f.name)).toEqual(['morning']);
    expect(config.influx.url).toBe('http://influxdb:8086');
  });
});
