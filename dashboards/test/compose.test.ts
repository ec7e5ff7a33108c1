import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardsDir, datasourceUid } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const composeFile = `${root}docker-compose.yml`;

type Volume = string | { type: string; source: string; target: string };
interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  ports?: (string | { published: number | string })[];
  volumes?: Volume[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, Service> };
const service = (name: string) => compose.services[name]!;
const readYaml = (path: string) => parse(readFileSync(`${root}${path}`, 'utf8')) as unknown;

/** Host path → container path of a service's bind mounts; named volumes are left out. */
function binds(s: Service): Map<string, string> {
  const pairs = (s.volumes ?? []).flatMap((v): [string, string][] => {
    if (typeof v !== 'string') return v.type === 'bind' ? [[v.source, v.target]] : [];
    const [source, target] = v.split(':') as [string, string];
    return source.startsWith('.') || source.startsWith('/') ? [[source, target]] : [];
  });
  return new Map(pairs);
}
const mountedAt = (s: Service, target: string) => [...binds(s)].find(([, t]) => t === target)?.[0];
const inRepo = (source: string) => `${root}${source.replace(/^\.\//, '')}`;

/** No container engine runs here: the file is checked for what it points at (and by docker-compose itself in test/docker-compose.test.ts). */
describe('docker-compose.yml', () => {
  it('has the four services of the production-shaped stack, publishing the documented ports', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['influxdb', 'grafana', 'parcours', 'simulator']));
    const published = Object.values(compose.services)
      .flatMap((s) => s.ports ?? [])
      .map((p) => Number(typeof p === 'string' ? p.split(':').at(-2) : p.published));
    expect(published.sort()).toEqual([1883, 3000, 8080, 8086]);
  });

  it('builds Parcours and the simulator from the root Dockerfile, started in order', () => {
    expect(existsSync(`${root}Dockerfile`)).toBe(true);
    expect(existsSync(`${root}.dockerignore`)).toBe(true);
    for (const name of ['parcours', 'simulator']) expect(service(name).build, name).toBe('.');
    expect(service('parcours').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    expect(service('simulator').depends_on).toEqual({ parcours: { condition: 'service_healthy' } });
    expect(service('simulator').command).toEqual(expect.arrayContaining(['sim', '--broker', 'mqtt://parcours:1883', '--api', 'http://parcours:8080']));
  });

  it('bind-mounts only paths that exist in the repository', () => {
    const all = Object.values(compose.services).flatMap((s) => [...binds(s).keys()]);
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const source of all) expect(existsSync(inRepo(source)), source).toBe(true);
  });

  it('runs an executable DBRP script at the first start of InfluxDB', () => {
    const script = mountedAt(service('influxdb'), '/docker-entrypoint-initdb.d/create-dbrp.sh');
    expect(script).toBeDefined();
    // The image runs the folder with run-parts, which skips files that are not executable.
    expect(() => accessSync(inRepo(script!), constants.X_OK)).not.toThrow();
    const text = readFileSync(inRepo(script!), 'utf8');
    for (const part of ['influx v1 dbrp create', '--db parcours', '--rp autogen', '--default']) expect(text).toContain(part);
  });

  it("gives Grafana the provisioning, whose datasource speaks InfluxQL and whose provider loads the dashboards' folder", () => {
    const grafana = service('grafana');
    const datasources = mountedAt(grafana, '/etc/grafana/provisioning/datasources')!;
    const providers = mountedAt(grafana, '/etc/grafana/provisioning/dashboards')!;
    expect(datasources).toBe('./dashboards/provisioning/datasources');
    expect(providers).toBe('./dashboards/provisioning/dashboards');

    const datasource = readYaml('dashboards/provisioning/datasources/influxdb.yaml') as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(datasource.apiVersion).toBe(1);
    expect(datasource.datasources).toEqual([
      expect.objectContaining({
        uid: datasourceUid,
        type: 'influxdb',
        url: 'http://influxdb:8086',
        database: 'parcours',
        jsonData: expect.objectContaining({ version: 'InfluxQL', httpHeaderName1: 'Authorization' }),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's variable syntax, not a template literal
        secureJsonData: { httpHeaderValue1: 'Token ${INFLUX_TOKEN}' },
      }),
    ]);
    expect(grafana.environment).toHaveProperty('INFLUX_TOKEN');

    const provider = readYaml('dashboards/provisioning/dashboards/parcours.yaml') as {
      apiVersion: number;
      providers: { type: string; folder: string; options: { path: string } }[];
    };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers).toEqual([expect.objectContaining({ type: 'file', folder: 'Parcours' })]);
    const dashboards = mountedAt(grafana, provider.providers[0]!.options.path);
    expect(dashboards, 'the folder the provider reads is mounted').toBe('./dashboards/json');
    expect(inRepo(`${dashboards!}/`)).toBe(dashboardsDir);
    expect(readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });
});
