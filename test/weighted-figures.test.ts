import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, problemContentType, type WeightedEstimate } from '@parcours/contracts';
import {
  CustomerBaseClient,
  customerId,
  funnelTruth,
  generateCustomerBase,
  generateUsage,
  publishUsage,
  pushCustomerBase,
  usageDeviceTypes,
  usageTraffic,
  usageTruth,
  writeCustomerBase,
  type CustomerUsage,
} from '@parcours/firmware-sim';
import { derivedSeed, seededRandom } from '@parcours/sampling';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

/**
 * Weighted figures through the API, against the simulator's truth: a customer base pushed, a panel drawn with
 * the old oversampled, the young members refusing more (their panel consent ended), the others' usage of two
 * devices over five weeks published over MQTT, a scheme raking the respondents to the universe's age bands and
 * household sizes (the refusers counted: the targets are the whole base); then activity, a funnel and retention
 * with `?weights=`. The weighted figures must be nearer to the whole base's truth than the unweighted ones, and
 * their intervals hold it.
 */

const day = 86_400_000;
const week = 7 * day;
const startsAt = Date.UTC(2026, 2, 2);
const drawAt = startsAt + day;
const refusedAt = startsAt + 2 * day;
const schemeAt = startsAt + 3 * day;
const from = startsAt + 2 * week;
const weeks = 5;
const iso = (ms: number) => new Date(ms).toISOString();

const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
/** Sampling fractions by age band, the old oversampled; at least 12 per cell so that every stratum keeps two respondents. */
const fractions = [0.1, 0.1, 0.12, 0.15, 0.2, 0.25];
const minPerCell = 12;
/** Who answers, by age band: the young refuse most. */
const response = [0.35, 0.5, 0.65, 0.75, 0.85, 0.9];

const funnels = [
  { name: 'morning', steps: usageDeviceTypes.map((deviceType) => ({ deviceType })), window: '1h', countBy: 'individual' as const },
  { name: 'homes', steps: usageDeviceTypes.map((deviceType) => ({ deviceType })), window: '1h', countBy: 'collective' as const },
];

type Estimate = WeightedEstimate;
interface Used {
  schemeId: string;
  version: number;
  n: number;
  effectiveSize: number;
  designEffect: number;
}
interface Report {
  weights: { n: number; effectiveSize: number; designEffect: number };
}
interface Member {
  individualId: string;
  draw: { inclusionProbability: number; stratum: string };
}

let app: ParcoursApp;
let dir: string;
let base: ReturnType<typeof generateCustomerBase>;
let usage: CustomerUsage;
let report: Report;
let respondents: number;

const call = <T>(method: string, path: string, body?: unknown) => api<T>(app.urls.http, method, `/api/v1${path}`, body);

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { sessionRules: {}, actorInference: false, funnels } }));
  base = generateCustomerBase({ size: 3_000, seed: 8, startsAt });
  dir = mkdtempSync(join(tmpdir(), 'parcours-weighted-'));
  await writeCustomerBase(base, dir);
  const logger = pino({ level: 'silent' });
  await pushCustomerBase(dir, new CustomerBaseClient({ apiUrl: app.urls.http, apiKey: adminKey(), logger }));

  const { customers } = base;
  const cellSizes = new Map<string, number>();
  for (let i = 0; i < customers.count; i++) {
    const key = `age_band=${ageBands[customers.ageBand[i]!]}|household_size=${customers.householdSize[i]}`;
    cellSizes.set(key, (cellSizes.get(key) ?? 0) + 1);
  }
  const given = Object.fromEntries(
    [...cellSizes].map(([key, size]) => {
      const age = ageBands.indexOf(key.slice('age_band='.length, key.indexOf('|')));
      return [key, Math.min(size, Math.max(minPerCell, Math.round(fractions[age]! * size)))];
    }),
  );
  const drawn = await call('POST', '/panels', {
    id: 'usage-panel',
    name: 'Usage panel',
    at: iso(drawAt),
    size: Object.values(given).reduce((a, b) => a + b, 0),
    seed: 3,
    design: { method: 'stratified', strata: ['age_band', 'household_size'], allocation: { given } },
  });
  expect(drawn.status).toBe(201);

  const members = (await call<{ items: Member[] }>('GET', '/memberships?collectiveId=usage-panel&limit=1000')).body.items.sort((a, b) =>
    a.individualId < b.individualId ? -1 : 1,
  );
  const random = seededRandom(derivedSeed(8, 'non-response'));
  const index = new Map(Array.from({ length: customers.count }, (_, i) => [customerId(customers, i), i]));
  const answering: { customer: number; id: string }[] = [];
  const perStratum = new Map<string, number>();
  for (const m of members) {
    const customer = index.get(m.individualId)!;
    if (random() < response[customers.ageBand[customer]!]!) {
      answering.push({ customer, id: m.individualId });
      perStratum.set(m.draw.stratum, (perStratum.get(m.draw.stratum) ?? 0) + 1);
      continue;
    }
    const refused = await call('PUT', `/subjects/${m.individualId}/consents/panel`, { granted: false, at: iso(refusedAt) });
    expect(refused.status).toBe(200);
  }
  respondents = answering.length;
  // Variances need two respondents in every stratum of the draw.
  expect(Math.min(...perStratum.values())).toBeGreaterThanOrEqual(2);
  expect(perStratum.size).toBe(cellSizes.size);

  usage = generateUsage(base, { seed: 8, from, weeks });
  await publishUsage(usageTraffic(usage, answering), {
    apiUrl: app.urls.http,
    apiKey: adminKey(),
    mqttUrl: app.urls.mqtt,
    baseTopic: app.config.mqtt.baseTopic,
    assignedFrom: startsAt,
    logger,
  });
  await app.drained();

  const created = await call('POST', '/weighting-schemes', {
    id: 'respondents',
    name: 'Respondents to the base',
    at: iso(schemeAt),
    sample: { kind: 'panel', panelId: 'usage-panel' },
    margins: [
      { variables: ['age_band'], targets: { from: 'universe' } },
      { variables: ['household_size'], targets: { from: 'universe' } },
    ],
    method: 'rake',
  });
  expect(created.status).toBe(201);
  const run = await call<{ size: number; report: Report }>('POST', '/weighting-schemes/respondents/run', {});
  expect(run.status).toBe(200);
  expect(run.body.size).toBe(respondents);
  report = run.body.report;
}, 480_000);

afterAll(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A weighted figure beside the whole base's truth. */
interface Checked {
  name: string;
  figure: Estimate;
  truth: number;
  /** The sample's value on the truth's scale: a share as it is, a count scaled up by respondents to people. */
  unweighted: number;
}

const checked: Checked[] = [];

describe('weighted figures through the API', () => {
  it('answers weighted activity per week, the scheme’s n and n_eff with it', async () => {
    const query = `/activity?period=week&from=${iso(from)}&to=${iso(from + weeks * week)}`;
    const plain = await call<Record<string, unknown>>('GET', query);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('weighted');
    expect(plain.body).not.toHaveProperty('weighting');
    const weighted = await call<{ weighting: Used; weighted: { start: string; deviceType: string | null; activeShare: Estimate }[] }>(
      'GET',
      `${query}&weights=respondents`,
    );
    expect(weighted.status).toBe(200);
    expect(weighted.body.weighting).toMatchObject({ schemeId: 'respondents', version: 1, n: report.weights.n });
    expect(weighted.body.weighting.effectiveSize).toBeCloseTo(report.weights.effectiveSize, 9);
    expect(weighted.body.weighting.designEffect).toBeCloseTo(report.weights.designEffect, 9);
    const truth = usageTruth(usage);
    const anyDevice = weighted.body.weighted.filter((a) => a.deviceType === null);
    expect(anyDevice.map((a) => Date.parse(a.start))).toEqual(truth.weeks.map((w) => w.start));
    anyDevice.forEach(({ activeShare }, k) => {
      expect(activeShare.n).toBe(report.weights.n);
      expect(activeShare.effectiveSize).toBeCloseTo(report.weights.effectiveSize, 9);
      checked.push({
        name: `week ${k} active share`,
        figure: activeShare,
        truth: truth.weeks[k]!.share,
        unweighted: activeShare.sampleValue,
      });
    });
  });

  it('answers the weighted funnel of individuals', async () => {
    const range = `from=${iso(from + week)}&to=${iso(from + 2 * week)}`;
    const plain = await call<Record<string, unknown>>('GET', `/funnels/morning?${range}`);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('weighted');
    const weighted = await call<{ weighted: { enteredShare: Estimate; conversion: Estimate } }>('GET', `/funnels/morning?${range}&weights=respondents`);
    expect(weighted.status).toBe(200);
    expect(weighted.body.weighted.enteredShare.n).toBe(report.weights.n);
    const truth = funnelTruth(usage, from + week, from + 2 * week);
    const { conversion } = weighted.body.weighted;
    // A share of those who entered: its n is theirs.
    expect(conversion.n).toBe(plain.body.entered);
    checked.push({ name: 'funnel conversion', figure: conversion, truth: truth.conversion!, unweighted: conversion.sampleValue });
  });

  it('answers weighted retention and lifecycle of individuals', async () => {
    const query = `/retention?kind=individual&from=${iso(from)}&to=${iso(from + 3 * week)}&weeks=2`;
    const plain = await call<Record<string, unknown>>('GET', query);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('weighted');
    const weighted = await call<{
      weighted: {
        cohorts: { week: string; retained: { weekOffset: number; share: Estimate | null }[] }[];
        lifecycle: { week: string; dormant: Estimate; returning: Estimate }[];
      };
    }>('GET', `${query}&weights=respondents`);
    expect(weighted.status).toBe(200);
    const truth = usageTruth(usage);
    const first = weighted.body.weighted.cohorts.find((c) => Date.parse(c.week) === from)!;
    for (const offset of [1, 2]) {
      const share = first.retained[offset]!.share!;
      checked.push({
        name: `first cohort retained after ${offset} weeks`,
        figure: share,
        truth: truth.cohorts[0]!.retained[offset]!.share,
        unweighted: share.sampleValue,
      });
    }
    const scale = base.customers.count / respondents;
    for (const k of [1, 2]) {
      const { dormant } = weighted.body.weighted.lifecycle[k]!;
      expect(dormant.n).toBe(report.weights.n);
      checked.push({
        name: `week ${k} dormant`,
        figure: dormant,
        truth: truth.lifecycle[k]!.dormant,
        unweighted: dormant.sampleValue * scale,
      });
    }
  });

  it('is nearer to the truth than the unweighted figures, and its intervals hold it', () => {
    expect(checked).toHaveLength(10);
    console.info(
      checked
        .map(
          (c) =>
            `${c.name}: truth ${c.truth.toFixed(4)}, weighted ${c.figure.estimate.toFixed(4)} [${c.figure.lower.toFixed(4)}, ${c.figure.upper.toFixed(4)}], unweighted ${c.unweighted.toFixed(4)}`,
        )
        .join('\n'),
    );
    // Relative errors, so that counts and shares weigh alike.
    const error = (value: number, truth: number) => Math.abs(value - truth) / truth;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(checked.map((c) => error(c.figure.estimate, c.truth)))).toBeLessThan(mean(checked.map((c) => error(c.unweighted, c.truth))));
    // Each 95% interval misses with a chance of 1 in 20: of ten, at most one may (two or more: about 1 time in 11).
    const missed = checked.filter((c) => !(c.figure.lower <= c.truth && c.truth <= c.figure.upper)).map((c) => c.name);
    expect(missed.length, missed.join(', ')).toBeLessThanOrEqual(1);
  });

  it('refuses weights on figures about collectives, and an unknown scheme', async () => {
    const range = `from=${iso(from)}&to=${iso(from + week)}`;
    for (const path of [`/funnels/homes?${range}&weights=respondents`, `/retention?kind=collective&${range}&weights=respondents`]) {
      const response = await fetch(`${app.urls.http}/api/v1${path}`, { headers: { authorization: `Bearer ${adminKey()}` } });
      expect(response.status, path).toBe(422);
      expect(response.headers.get('content-type')).toContain(problemContentType);
      expect(((await response.json()) as { code: string }).code).toBe(errorCodes.weightsIndividualsOnly);
    }
    const unknown = await call<{ code: string }>('GET', `/activity?${range}&weights=no-such-scheme`);
    expect(unknown).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
  });
});
