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

  it('lists every problem by path: unknown keys, unknown variables, bad values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-config-'));
    const file = join(dir, 'parcours.json');
    writeFileSync(file, JSON.stringify({ http: { port: 'eighty', colour: 'blue' }, nonsense: {} }));
    const error = failure(() => loadConfig({ env: { PARCOURS_MQTT_PORTT: '1', PARCOURS_ANALYTICS_SESSION_IDLE_TIMEOUT: 'soon' }, file }));
    expect(error.code).toBe(errorCodes.config);
    expect(error.message).toContain('PARCOURS_MQTT_PORTT: not a Parcours setting');
    expect(error.message).toMatch(/http\.port: /);
    expect(error.message).toContain('colour');
    expect(error.message).toContain('nonsense');
    expect(error.message).toMatch(/analytics\.sessionIdleTimeout: "soon" is not a duration/);
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
    expect(bad.message).toMatch(/analytics\.sessionRules\.tv\.threshold\.comparison: /);
    expect(failure(() => loadConfig({ env: { PARCOURS_ANALYTICS_SESSION_RULES: '{tv' } })).message).toMatch(/analytics\.sessionRules: /);
  });

  it("declares the built-in fleet's example funnel unless funnels are given", () => {
    const example = { name: 'morning', countBy: 'collective', window: 3_600_000, steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] };
    expect(loadConfig({ env: {} }).analytics.funnels).toEqual([example]);
    expect(loadConfig({ env: { PARCOURS_SIM_SCENARIO: 'none' } }).analytics.funnels).toEqual([]);
    expect(loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: '[]' } }).analytics.funnels).toEqual([]);
  });

  it('reads funnels as JSON from the environment and reports a bad one by path', () => {
    const morning = { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], window: '2h', countBy: 'individual' };
    const { funnels } = loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: JSON.stringify([morning]) } }).analytics;
    expect(funnels).toEqual([{ ...morning, window: 7_200_000 }]);
    const bad = (funnels: unknown) => failure(() => loadConfig({ env: { PARCOURS_ANALYTICS_FUNNELS: JSON.stringify(funnels) } })).message;
    expect(bad([morning, { ...morning, countBy: 'collective' }])).toContain('analytics.funnels.1.name: funnel name "morning" is declared twice');
    expect(bad([{ ...morning, steps: [{ deviceType: 'tv' }] }])).toContain('analytics.funnels.0.steps: a funnel has at least 2 steps');
    expect(bad([{ ...morning, steps: [{ deviceType: 'tv', eventType: 'door.opened' }, { deviceType: 'car' }] }])).toContain(
      'analytics.funnels.0.steps.0: a step is either',
    );
    expect(bad([{ ...morning, window: '0s' }])).toContain('analytics.funnels.0.window: the window must be longer than 0');
    expect(bad([{ ...morning, countBy: 'household' }])).toMatch(/analytics\.funnels\.0\.countBy: /);
  });

  it('keeps the broker state in the data folder by default, and needs a Redis URL for cluster mode', () => {
    expect(loadConfig({ env: {} }).mqtt.persistence).toBe('level');
    const missing = failure(() => loadConfig({ env: { PARCOURS_MQTT_PERSISTENCE: 'redis' } }));
    expect(missing.message).toMatch(/mqtt\.redisUrl: required when persistence is redis/);
    expect(failure(() => loadConfig({ env: { PARCOURS_MQTT_PERSISTENCE: 'redis', PARCOURS_MQTT_REDIS_URL: 'http://127.0.0.1:6379' } })).message).toMatch(
      /mqtt\.redisUrl: /,
    );
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
    expect(error.message).toContain('node.standby: a standby needs a lease shared with the active node');
    expect(failure(() => loadConfig({ env: { PARCOURS_NODE_LEASE_TTL: '500ms' } })).message).toContain('node.leaseTtl: at least 1s');
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
