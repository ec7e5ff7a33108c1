import { errorCodes, ParcoursError } from '@parcours/contracts';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assignmentsOf, loadScenario, parseScenario, PlanBook, registerWorld, type World, type WorldInput } from '@parcours/firmware-sim';
import { small } from '../firmware-sim/src/scenarios/small.js';
import { startApiDouble, type ApiDouble } from './api-double.js';

const logger = pino({ level: 'silent' });

describe('registerWorld', () => {
  let api: ApiDouble;
  let world: World;

  beforeEach(async () => {
    api = await startApiDouble();
    world = await loadScenario('small');
  });
  afterEach(() => api.close());

  it('registers every subject, membership, device and assignment, and returns credentials per device', async () => {
    const credentials = await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger });
    const memberships = world.individuals.flatMap((p) => p.memberships);
    expect(api.records.get('subjects')!.size).toBe(world.collectives.length + world.individuals.length);
    expect(api.records.get('memberships')!.size).toBe(memberships.length);
    expect(api.records.get('devices')!.size).toBe(world.devices.length);
    expect(api.records.get('assignments')!.size).toBe(world.devices.flatMap(assignmentsOf).length);
    expect(api.records.get('assignments')!.get('martin-washer.ind-hugo.1')).toMatchObject({
      subjectId: 'ind-hugo',
      validFrom: Date.UTC(2025, 9, 1),
      validTo: null,
    });
    expect([...credentials.keys()].sort()).toEqual(world.devices.map((d) => d.id).sort()); // registered in parallel
    expect(api.records.get('memberships')!.get('ind-alice.wp-acme')).toMatchObject({
      individualId: 'ind-alice',
      collectiveId: 'wp-acme',
      role: 'employee',
      validFrom: Date.UTC(2020, 0, 1),
      validTo: null,
    });
    expect(api.records.get('assignments')!.get('acme-coffee.wp-acme')).toMatchObject({ deviceId: 'acme-coffee', subjectId: 'wp-acme' });
  });

  it('is idempotent: a second run gets 200 for every record and fresh credentials', async () => {
    const first = await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger });
    api.requests.length = 0;
    const second = await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger });
    const records = api.requests.filter((r) => !r.path.endsWith('/credentials'));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.status === 200)).toBe(true);
    expect(second.get('acme-coffee')!.secret).not.toBe(first.get('acme-coffee')!.secret);
  });

  it('registers the visitors of the run as individuals with memberships bounded to their stay', async () => {
    const from = Date.UTC(2025, 9, 6);
    const stays = new PlanBook(world, 3).staysBetween(from, from + 7 * 86_400_000);
    expect(stays.length).toBeGreaterThan(2);
    await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger }, stays);
    const [stay] = stays;
    expect(api.records.get('subjects')!.get(stay!.individualId)).toMatchObject({ kind: 'individual', type: 'visitor' });
    expect(api.records.get('memberships')!.get(`${stay!.individualId}.${stay!.collective}`)).toMatchObject({
      validFrom: stay!.validFrom,
      validTo: stay!.validTo,
    });
  });

  it('stops, naming the record, when an id exists with other content', async () => {
    await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger });
    const renamed: WorldInput = { ...small, collectives: small.collectives.map((c) => (c.id === 'hh-martin' ? { ...c, name: 'Other' } : c)) };
    const error = await registerWorld(parseScenario(renamed), { apiUrl: api.url, apiKey: 'test-key', logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParcoursError);
    expect((error as ParcoursError).code).toBe(errorCodes.validation);
    expect((error as ParcoursError).message).toMatch(/subjects\[0\]: .*hh-martin exists with other content/);
  });

  it('reports an unreachable API after its retries', async () => {
    await api.close();
    const error = await registerWorld(world, { apiUrl: api.url, apiKey: 'test-key', logger, attempts: 2 }).catch((e: unknown) => e);
    expect((error as ParcoursError).code).toBe(errorCodes.unreachable);
    expect((error as ParcoursError).message).toMatch(/cannot reach the Parcours API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    api = await startApiDouble(); // afterEach closes it
  });
});
