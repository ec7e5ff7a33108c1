import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, startApp, testConfig } from './helpers.js';
import { runSmallFleet } from './simulated-run.js';

/**
 * The served OpenAPI document tells the truth: a Parcours that stored a simulated day answers every
 * documented operation, and each real answer (status, content type, body) is checked against the
 * document with a JSON Schema validator. The document also says what each operation and field is.
 */
interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}
interface JsonSchema {
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const day = Date.UTC(2026, 2, 2); // a Monday
const dayMs = 86_400_000;
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const funnel = { name: 'morning', countBy: 'individual', window: '2h', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] };

let app: ParcoursApp;
let document: OpenApiDocument;
// A JSON type may be a list of types (`["string", "null"]`), as JSON Schema allows.
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();
/** The operations answered so far, as `METHOD /path/{param}`. */
const answered = new Set<string>();

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { funnels: [funnel] } }));
  await runSmallFleet(app, { from: day, to: day + dayMs, seed: 5 });
  document = (await (await fetch(`${app.urls.http}/openapi.json`)).json()) as OpenApiDocument;
}, 600_000);

afterAll(() => app.stop());

const operations = () => Object.entries(document.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/**
 * Calls `url` (the operation `method path`) with the admin key, checks the answer against what the
 * document declares for its status, and returns its body.
 */
async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  url: string,
  body?: { json: unknown } | { csv: string },
  key: string | null = adminKey(),
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  if (body) headers['content-type'] = 'json' in body ? 'application/json' : 'text/csv';
  const init = { method: method.toUpperCase(), headers, ...(body ? { body: 'json' in body ? JSON.stringify(body.json) : body.csv } : {}) };
  const response = await fetch(`${app.urls.http}${url}`, init);
  const text = await response.text();
  const operation = document.paths[path]?.[method];
  const where = `${method.toUpperCase()} ${url} → ${response.status}`;
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const declared = operation!.responses[String(response.status)] ?? operation!.responses.default;
  expect(declared, `${where} is a declared status: ${text.slice(0, 300)}`).toBeDefined();
  answered.add(`${method.toUpperCase()} ${path}`);
  if (!declared!.content) {
    expect(text, where).toBe('');
    return { status: response.status, body: null as T };
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!;
  const schema = declared!.content[mediaType]?.schema;
  expect(schema, `${where}: ${mediaType} is the declared content type (${Object.keys(declared!.content).join(', ')})`).toBeDefined();
  const key_ = `${method} ${path} ${response.status} ${mediaType}`;
  const validate = validators.get(key_) ?? validators.set(key_, ajv.compile(schema!)).get(key_)!;
  const parsed = JSON.parse(text) as T;
  expect(validate(parsed) ? [] : validate.errors, `${where} matches the document`).toEqual([]);
  return { status: response.status, body: parsed };
}

/** Where a field or parameter has no description: `path` of each. */
function undescribed(schema: JsonSchema, where: string): string[] {
  const missing: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (!property.description) missing.push(`${where}.${name}`);
    missing.push(...undescribed(property, `${where}.${name}`));
  }
  if (schema.items) missing.push(...undescribed(schema.items, `${where}[]`));
  for (const branch of schema.anyOf ?? []) missing.push(...undescribed(branch, where));
  if (typeof schema.additionalProperties === 'object') missing.push(...undescribed(schema.additionalProperties, `${where}.*`));
  return missing;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every route of the API', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    const routes = app
      .httpRoutes()
      .filter((r) => r.url.startsWith('/api/') || r.url === '/healthz')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect([...new Set(routes)].filter((r) => !documented.has(r))).toEqual([]);
  });

  it('gives every operation a summary and every parameter and field a description', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.summary) missing.push(`${where}: summary`);
      for (const parameter of op.parameters ?? []) if (!parameter.description) missing.push(`${where}: ${parameter.in} ${parameter.name}`);
      for (const { schema } of Object.values(op.requestBody?.content ?? {})) missing.push(...undescribed(schema, `${where}: body`));
      for (const [status, response] of Object.entries(op.responses))
        for (const { schema } of Object.values(response.content ?? {})) missing.push(...undescribed(schema, `${where}: ${status}`));
    }
    expect(missing).toEqual([]);
  });
});

describe('every operation, answering with real data', () => {
  it('answers as the document says, on every route', async () => {
    const range = `from=${date(day)}&to=${date(day + dayMs)}`;
    const iso = `from=${new Date(day).toISOString()}&to=${new Date(day + dayMs).toISOString()}`;
    await call('get', '/healthz', '/healthz', undefined, null);

    // The registry as the simulated fleet left it.
    const subjects = await call<{ items: { id: string; kind: string }[] }>('get', '/api/v1/subjects', '/api/v1/subjects?limit=1000');
    const household = subjects.body.items.find((s) => s.kind === 'collective')!.id;
    const person = subjects.body.items.find((s) => s.kind === 'individual')!.id;
    await call('get', '/api/v1/subjects/{id}', `/api/v1/subjects/${household}`);
    await call('get', '/api/v1/subjects/{id}', '/api/v1/subjects/nobody');
    await call('get', '/api/v1/subjects/{id}/as-of', `/api/v1/subjects/${household}/as-of?t=${new Date(day + dayMs / 2).toISOString()}`);
    const memberships = await call<{ items: { id: string }[] }>('get', '/api/v1/memberships', '/api/v1/memberships');
    await call('get', '/api/v1/memberships/{id}', `/api/v1/memberships/${memberships.body.items[0]!.id}`);
    const devices = await call<{ items: { id: string }[] }>('get', '/api/v1/devices', '/api/v1/devices?limit=1000');
    const device = devices.body.items[0]!.id;
    await call('get', '/api/v1/devices/{id}', `/api/v1/devices/${device}`);
    await call('get', '/api/v1/devices/{id}/status', `/api/v1/devices/${device}/status`);
    const assignments = await call<{ items: { id: string }[] }>('get', '/api/v1/devices/{id}/assignments', `/api/v1/devices/${device}/assignments`);
    await call('get', '/api/v1/devices/{id}/assignments/{assignmentId}', `/api/v1/devices/${device}/assignments/${assignments.body.items[0]!.id}`);
    await call('get', '/api/v1/registry/changes', '/api/v1/registry/changes?limit=50');

    // What was derived from the day.
    await call('get', '/api/v1/subjects/{id}/events', `/api/v1/subjects/${household}/events?${iso}&limit=20`);
    const sessions = await call<{ items: unknown[] }>('get', '/api/v1/subjects/{id}/sessions', `/api/v1/subjects/${household}/sessions?${range}&status=all`);
    expect(sessions.body.items.length).toBeGreaterThan(0);
    await call('get', '/api/v1/devices/{id}/sessions', `/api/v1/devices/${device}/sessions?${range}&status=all`);
    await call('get', '/api/v1/devices/{id}/sessions', `/api/v1/devices/${device}/sessions?from=${date(day + dayMs)}&to=${date(day)}`);
    const journeys = await call<{ items: unknown[] }>('get', '/api/v1/subjects/{id}/journeys', `/api/v1/subjects/${person}/journeys?${range}&status=all`);
    expect(journeys.body.items.length).toBeGreaterThan(0);
    await call('get', '/api/v1/subjects/{id}/journeys', '/api/v1/subjects/nobody/journeys');
    expect((await call<{ items: unknown[] }>('get', '/api/v1/transitions', `/api/v1/transitions?${iso}`)).body.items.length).toBeGreaterThan(0);
    expect((await call<{ items: unknown[] }>('get', '/api/v1/activity', `/api/v1/activity?${iso}`)).body.items.length).toBeGreaterThan(0);
    await call('get', '/api/v1/shared-usage', `/api/v1/shared-usage?${iso}`);
    await call('get', '/api/v1/funnels', '/api/v1/funnels');
    await call('get', '/api/v1/funnels/{name}', `/api/v1/funnels/morning?${iso}`);
    const retention = `from=${new Date(day).toISOString()}&to=${new Date(day + 7 * dayMs).toISOString()}&kind=individual&weeks=1`;
    expect((await call<{ cohorts: unknown[] }>('get', '/api/v1/retention', `/api/v1/retention?${retention}`)).body.cohorts.length).toBeGreaterThan(0);
    await call('get', '/api/v1/quarantine', '/api/v1/quarantine?limit=5');
    await call('get', '/api/v1/fleet', '/api/v1/fleet');

    // A panel of the world's persons, balanced on their coffee, and a community in it.
    const panelAt = new Date(day + dayMs).toISOString();
    const panel = {
      id: 'oa-panel',
      name: 'Coffee panel',
      at: panelAt,
      size: 2,
      seed: 1,
      universe: { type: 'person' },
      design: { method: 'balanced', balanceOn: [{ usage: 'coffee_machine', activeWithin: '1d' }] },
    };
    await call('post', '/api/v1/panels', '/api/v1/panels', { json: { ...panel, dryRun: true } });
    await call('post', '/api/v1/panels', '/api/v1/panels', { json: panel });
    await call('post', '/api/v1/panels', '/api/v1/panels', {
      json: { ...panel, design: { method: 'stratified', strata: ['region'], allocation: { given: { 'region=x': 5 } } } },
    });
    await call('get', '/api/v1/panels', '/api/v1/panels');
    await call('get', '/api/v1/panels/{id}', '/api/v1/panels/oa-panel');
    await call('get', '/api/v1/panels/{id}', '/api/v1/panels/nothing');
    await call('get', '/api/v1/panels/{id}/representativeness', `/api/v1/panels/oa-panel/representativeness?at=${panelAt}`);
    await call('post', '/api/v1/panels/{id}/refresh', '/api/v1/panels/oa-panel/refresh', { json: { at: panelAt, inactiveAfter: '1d' } });
    await call('post', '/api/v1/communities', '/api/v1/communities', { json: { name: 'Early birds', panelId: 'oa-panel', at: panelAt, size: 1, minSize: 1 } });
    await call('post', '/api/v1/communities', '/api/v1/communities', { json: { name: 'Nobody', panelId: 'oa-panel', at: panelAt, minSize: 50 } });
    // A weighting scheme on that panel: versions, runs, a refusal, the report and the weights.
    const scheme = {
      name: 'Coffee panel to its universe',
      at: panelAt,
      sample: { kind: 'panel', panelId: 'oa-panel' },
      margins: [{ variables: ['oa_segment'], targets: { from: 'universe' } }],
    };
    await call('post', '/api/v1/weighting-schemes', '/api/v1/weighting-schemes', { json: { id: 'oa-scheme', ...scheme } });
    await call('post', '/api/v1/weighting-schemes', '/api/v1/weighting-schemes', { json: { id: 'oa-scheme', ...scheme } });
    await call('put', '/api/v1/weighting-schemes/{id}', '/api/v1/weighting-schemes/oa-scheme', { json: { ...scheme, method: 'linear', cap: 2 } });
    await call('put', '/api/v1/weighting-schemes/{id}', '/api/v1/weighting-schemes/nothing', { json: scheme });
    await call('get', '/api/v1/weighting-schemes', '/api/v1/weighting-schemes');
    await call('get', '/api/v1/weighting-schemes/{id}', '/api/v1/weighting-schemes/oa-scheme?version=1');
    await call('get', '/api/v1/weighting-schemes/{id}', '/api/v1/weighting-schemes/nothing');
    await call('post', '/api/v1/weighting-schemes/{id}/run', '/api/v1/weighting-schemes/oa-scheme/run', { json: { dryRun: true } });
    await call('get', '/api/v1/weighting-schemes/{id}/report', '/api/v1/weighting-schemes/oa-scheme/report');
    await call('post', '/api/v1/weighting-schemes/{id}/run', '/api/v1/weighting-schemes/oa-scheme/run', { json: { version: 1 } });
    await call('get', '/api/v1/weighting-schemes/{id}/report', '/api/v1/weighting-schemes/oa-scheme/report?version=1');
    await call('get', '/api/v1/weighting-schemes/{id}/weights', '/api/v1/weighting-schemes/oa-scheme/weights?version=1&limit=1');
    const file = { from: 'file', cells: [{ levels: { oa_segment: 'x' }, value: 3 }] };
    await call('post', '/api/v1/weighting-schemes', '/api/v1/weighting-schemes', {
      json: { id: 'oa-impossible', ...scheme, margins: [{ variables: ['oa_segment'], targets: file }] },
    });
    await call('post', '/api/v1/weighting-schemes/{id}/run', '/api/v1/weighting-schemes/oa-impossible/run', { json: {} });
    // A survey: created, refused, changed, read, listed and closed.
    const survey = {
      name: 'After coffee',
      questions: [
        { kind: 'nps', id: 'recommend', text: 'Would you recommend it?', branches: [{ max: 6, goTo: 'why' }] },
        { kind: 'text', id: 'why', text: 'Why?' },
      ],
      triggers: [{ on: 'session_closed', deviceType: 'coffee_machine', minDuration: '1m' }],
      cooldown: { afterAnswer: '7d' },
    };
    await call('post', '/api/v1/surveys', '/api/v1/surveys', { json: { id: 'oa-survey', ...survey } });
    await call('post', '/api/v1/surveys', '/api/v1/surveys', { json: { id: 'oa-survey', ...survey } });
    await call('post', '/api/v1/surveys', '/api/v1/surveys', { json: { ...survey, questions: [...survey.questions].reverse() } });
    await call('put', '/api/v1/surveys/{id}', '/api/v1/surveys/oa-survey', { json: { ...survey, samplingRate: 0.5 } });
    await call('put', '/api/v1/surveys/{id}', '/api/v1/surveys/nothing', { json: survey });
    await call('get', '/api/v1/surveys', '/api/v1/surveys?state=open&limit=10');
    await call('get', '/api/v1/surveys/{id}', '/api/v1/surveys/oa-survey?version=1');
    await call('get', '/api/v1/surveys/{id}', '/api/v1/surveys/nothing');
    await call('post', '/api/v1/surveys/{id}/close', '/api/v1/surveys/oa-survey/close');
    await call('post', '/api/v1/surveys/{id}/close', '/api/v1/surveys/nothing/close');
    await call('get', '/api/v1/surveys/{id}/results', '/api/v1/surveys/oa-survey/results?by=deviceType');
    await call('get', '/api/v1/surveys/{id}/results', '/api/v1/surveys/nothing/results');
    await call('get', '/api/v1/surveys/{id}/results', '/api/v1/surveys/oa-survey/results?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z');
    // Its prompts, as the trigger job records them: read, answered (again, otherwise, unfit, late), dismissed.
    const prompts = app.prompts;
    const recordPrompt = (promptId: string, expiresAt: number) =>
      prompts.record(
        { decision: 'sent', promptId, surveyId: 'oa-survey', surveyVersion: 1, personId: 'oa-ana', trigger: promptId, sendAt: day, expiresAt, detail: 'sent' },
        {
          triggeredAt: day,
          sessionId: null,
          journeyId: null,
          deviceId: null,
          rule: 'session_closed',
          deviceType: 'coffee_machine',
          path: null,
          collectives: [],
          stratum: null,
          community: null,
        },
        day,
      );
    recordPrompt('oa-prompt', Date.now() + 3_600_000);
    recordPrompt('oa-late', day + 1);
    recordPrompt('oa-dismissed', Date.now() + 3_600_000);
    await call('get', '/api/v1/prompts/{id}', '/api/v1/prompts/oa-prompt');
    await call('get', '/api/v1/prompts/{id}', '/api/v1/prompts/nothing');
    await call('post', '/api/v1/prompts/{id}/answer', '/api/v1/prompts/oa-prompt/answer', { json: { values: { recommend: 9 } } });
    await call('post', '/api/v1/prompts/{id}/answer', '/api/v1/prompts/oa-prompt/answer', { json: { values: { recommend: 3, why: 'noise' } } });
    await call('post', '/api/v1/prompts/{id}/answer', '/api/v1/prompts/oa-late/answer', { json: { values: { recommend: 11 } } });
    await call('post', '/api/v1/prompts/{id}/answer', '/api/v1/prompts/oa-late/answer', { json: { values: { recommend: 9 } } });
    await call('post', '/api/v1/prompts/{id}/answer', '/api/v1/prompts/nothing/answer', { json: { values: { recommend: 9 } } });
    await call('post', '/api/v1/prompts/{id}/dismiss', '/api/v1/prompts/oa-dismissed/dismiss');
    await call('post', '/api/v1/prompts/{id}/dismiss', '/api/v1/prompts/nothing/dismiss');

    // Changes: a new person, a device, and the links between them, then each undone.
    const validFrom = new Date(day + dayMs).toISOString();
    await call('post', '/api/v1/subjects', '/api/v1/subjects', { json: { id: 'oa-ana', kind: 'individual', type: 'person', name: 'Ana' } });
    await call('post', '/api/v1/subjects', '/api/v1/subjects', { json: { id: 'oa-ana', kind: 'individual', type: 'person', name: 'Ana' } });
    await call('post', '/api/v1/subjects', '/api/v1/subjects', { json: { id: 'oa-ana', kind: 'individual' } });
    await call('patch', '/api/v1/subjects/{id}', '/api/v1/subjects/oa-ana', { json: { attributes: { region: 'Bretagne' } } });
    await call('post', '/api/v1/memberships', '/api/v1/memberships', { json: { id: 'oa-m', individualId: 'oa-ana', collectiveId: household, validFrom } });
    await call('patch', '/api/v1/memberships/{id}', '/api/v1/memberships/oa-m', { json: { role: 'guest' } });
    await call('post', '/api/v1/devices', '/api/v1/devices', { json: { id: 'oa-kettle', type: 'kettle' } });
    await call('patch', '/api/v1/devices/{id}', '/api/v1/devices/oa-kettle', { json: { model: 'K1' } });
    await call('post', '/api/v1/devices/{id}/credentials', '/api/v1/devices/oa-kettle/credentials');
    await call('post', '/api/v1/devices/{id}/assignments', '/api/v1/devices/oa-kettle/assignments', { json: { id: 'oa-a', subjectId: 'oa-ana', validFrom } });
    await call('patch', '/api/v1/devices/{id}/assignments/{assignmentId}', '/api/v1/devices/oa-kettle/assignments/oa-a', { json: { validTo: null } });
    await call('put', '/api/v1/subjects/{id}/consents/{purpose}', '/api/v1/subjects/oa-ana/consents/surveys', { json: { granted: false, at: validFrom } });
    await call('put', '/api/v1/subjects/{id}/consents/{purpose}', `/api/v1/subjects/${household}/consents/panel`, { json: { granted: true } });
    await call('get', '/api/v1/subjects/{id}/consents', '/api/v1/subjects/oa-ana/consents');
    await call('delete', '/api/v1/subjects/{id}', '/api/v1/subjects/oa-ana');
    await call('delete', '/api/v1/devices/{id}/assignments/{assignmentId}', '/api/v1/devices/oa-kettle/assignments/oa-a');
    await call('delete', '/api/v1/devices/{id}', '/api/v1/devices/oa-kettle');
    await call('delete', '/api/v1/memberships/{id}', '/api/v1/memberships/oa-m');
    await call('delete', '/api/v1/subjects/{id}', '/api/v1/subjects/oa-ana');
    await call('post', '/api/v1/import', '/api/v1/import', { json: { subjects: [{ id: 'oa-bo', kind: 'individual', type: 'person', name: 'Bo' }] } });
    await call('post', '/api/v1/import/{kind}', '/api/v1/import/subjects', { csv: 'id,kind,type,name\noa-cy,individual,person,Cy\n' });
    await call('post', '/api/v1/import/{kind}', '/api/v1/import/subjects', { csv: '' });
    await call('post', '/api/v1/import/{kind}', '/api/v1/import/subjects', { json: {} });
    // Profiles: a source, a person's keys, a trait file, the attributes it gave.
    await call('post', '/api/v1/sources', '/api/v1/sources', {
      json: { id: 'oa-crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' },
    });
    await call('get', '/api/v1/sources', '/api/v1/sources');
    await call('get', '/api/v1/sources/{id}', '/api/v1/sources/oa-crm');
    await call('get', '/api/v1/sources/{id}', '/api/v1/sources/nowhere');
    await call('patch', '/api/v1/sources/{id}', '/api/v1/sources/oa-crm', { json: { expectedFreshness: null } });
    await call('post', '/api/v1/import/identities', '/api/v1/import/identities', { csv: 'individual_id,crm_id\noa-bo,C-1\n' });
    await call('post', '/api/v1/import/identities', '/api/v1/import/identities', { json: [{ individualId: 'nobody', keys: { crm_id: 'C-2' } }] });
    await call('put', '/api/v1/subjects/{id}/identities', '/api/v1/subjects/oa-cy/identities', { json: { keys: { crm_id: 'C-3', email: 'cy@example.org' } } });
    await call('get', '/api/v1/subjects/{id}/identities', '/api/v1/subjects/oa-cy/identities');
    await call('post', '/api/v1/import/traits', '/api/v1/import/traits?source=oa-crm', {
      csv: 'crm_id,valid_from,plan,postcode\nC-1,2026-01-01,basic,01400\nC-3,2026-01-01,plus,99999\nC-4,2026-01-01,plus,75001\n',
    });
    await call('post', '/api/v1/import/traits', '/api/v1/import/traits?source=oa-crm', { json: [{ plan: 'no key' }] });
    await call('get', '/api/v1/subjects/{id}/attributes', '/api/v1/subjects/oa-bo/attributes?at=2026-02-01');
    await call('post', '/api/v1/quarantine/replay', '/api/v1/quarantine/replay', { json: { reason: 'PARCOURS_E_UNKNOWN_DEVICE' } });
    await call('post', '/api/v1/reattribute', '/api/v1/reattribute', { json: { from: new Date(day).toISOString(), to: new Date(day + dayMs).toISOString() } });

    const unanswered = operations()
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`)
      .filter((operation) => !answered.has(operation));
    expect(unanswered).toEqual([]);
  }, 300_000);
});
