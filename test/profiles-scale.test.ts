import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceSchema } from '@parcours/contracts';
import { resolvePlace } from '@parcours/geography';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileStore } from '../gateway/src/profiles/profile-store.js';
import { RegistryStore } from '../gateway/src/registry/registry-store.js';
import { migrate, openDatabase, type Database } from '../gateway/src/store/database.js';
import { gatewayMigrations } from '../gateway/src/store/migrations.js';

/**
 * A customer base at scale: 300,000 people in the CRM, 100,000 web analytics rows of which 70% name a
 * person the CRM knows, 1% a family address two people share, and 5% contradict the CRM's plan. The
 * files are generated from a seed and the expected report is derived from what was planted.
 */
const people = 300_000;
const webRows = 100_000;
const seed = 20_260_401;

/** mulberry32: a small seeded generator, so that the planted overlap is the same on every run. */
function random(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const plans = ['basic', 'plus', 'premium'];
const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
// Paris, Lyon and Marseille arrondissements (one commune each) and a few postcodes serving several communes.
const postcodes = ['75001', '75011', '75015', '69003', '13008', '01400', '35000', '59000', '33000', '80100'];

let dir: string;
let db: Database;
let profiles: ProfileStore;
const id = (i: number) => `p-${String(i).padStart(6, '0')}`;

interface Planted {
  crm: string;
  web: string;
  expectedCrmValues: number;
  expectedFlagged: number;
  webMatched: number;
  webAmbiguous: number;
  webConflicting: number;
}

function plant(): Planted {
  const next = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const plan: string[] = [];
  const crm = ['crm_id,valid_from,plan,age_band,segment,postcode'];
  let expectedCrmValues = 0;
  let expectedFlagged = 0;
  for (let i = 0; i < people; i++) {
    plan.push(pick(plans));
    const postcode = pick(postcodes);
    crm.push(`C-${i},2025-01-01,${plan[i]},${pick(ageBands)},s${i % 12},${postcode}`);
    const place = resolvePlace({ postcode });
    if (!place.ok) throw new Error(place.message);
    expectedCrmValues += 3 + 3 + (place.place.commune ? 1 : 0);
    if (place.place.ambiguity) expectedFlagged += 1;
  }
  // Each web row: 70% a distinct known person by app install, 1% a family address, the rest strangers.
  const order = Array.from({ length: people }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const webMatched = webRows * 0.7;
  const webAmbiguous = webRows * 0.01;
  const webConflicting = webRows * 0.05;
  const web = ['app_install_id,email,valid_from,plan,visits'];
  for (let r = 0; r < webRows; r++) {
    if (r < webMatched) {
      const person = order[r]!;
      const conflicting = r < webConflicting;
      const webPlan = conflicting ? plans[(plans.indexOf(plan[person]!) + 1) % plans.length] : plan[person];
      web.push(`A-${person},,2026-01-01,${webPlan},${Math.floor(next() * 50)}`);
    } else if (r < webMatched + webAmbiguous) web.push(`,family-${r}@example.org,2026-01-01,basic,1`);
    else web.push(`A-stranger-${r},,2026-01-01,basic,1`);
  }
  return { crm: `${crm.join('\n')}\n`, web: `${web.join('\n')}\n`, expectedCrmValues, expectedFlagged, webMatched, webAmbiguous, webConflicting };
}

let planted: Planted;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parcours-profiles-scale-'));
  db = openDatabase(dir);
  migrate(db, gatewayMigrations);
  const registry = new RegistryStore(db);
  planted = plant();
  const started = performance.now();
  // The people as the registry stores them, written directly: its create checks and journals each one,
  // which is right for a CRM export and takes half a minute for 300,000 (the import tested here comes after).
  const person = db.prepare("INSERT INTO subjects (id, kind, type, name) VALUES (?, 'individual', 'person', ?)");
  db.transaction(() => {
    for (let i = 0; i < people; i++) person.run(id(i), id(i));
  })();
  profiles = new ProfileStore(db, registry);
  for (const source of [
    { id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' },
    { id: 'web', kind: 'web_analytics', name: 'Web analytics', joinKeys: ['email_sha256', 'app_install_id'], priority: 50, expectedFreshness: null },
  ])
    profiles.createSource(sourceSchema.parse(source));
  const identities = ['individual_id,crm_id,app_install_id,email'];
  for (let i = 0; i < people; i++) identities.push(`${id(i)},C-${i},A-${i},`);
  // Two people share each family address of the web file.
  for (let r = planted.webMatched; r < planted.webMatched + planted.webAmbiguous; r++) {
    identities.push(`${id(2 * (r - planted.webMatched))},,,family-${r}@example.org`, `${id(2 * (r - planted.webMatched) + 1)},,,family-${r}@example.org`);
  }
  profiles.importIdentities({ csv: `${identities.join('\n')}\n` });
  process.stdout.write(`set-up: ${people} people and their identities in ${Math.round(performance.now() - started)} ms\n`);
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('profiles at scale', () => {
  it('imports 300,000 CRM rows, then 100,000 web rows, reporting the planted overlap and conflicts exactly', () => {
    let started = performance.now();
    const crm = profiles.importTraits('crm', { csv: planted.crm });
    const crmMs = performance.now() - started;
    process.stdout.write(`CRM import: ${people} rows in ${Math.round(crmMs)} ms, ${Math.round(people / (crmMs / 1000))} rows/s\n`);
    expect(crm).toMatchObject({
      rows: people,
      matched: people,
      unmatched: { count: 0 },
      ambiguous: { count: 0 },
      conflicting: { count: 0 },
      values: planted.expectedCrmValues,
      unresolvedPlaces: { count: 0 },
      flaggedPlaces: { count: planted.expectedFlagged },
    });

    started = performance.now();
    const web = profiles.importTraits('web', { csv: planted.web });
    const webMs = performance.now() - started;
    process.stdout.write(`web import: ${webRows} rows in ${Math.round(webMs)} ms, ${Math.round(webRows / (webMs / 1000))} rows/s\n`);
    expect(web).toMatchObject({
      rows: webRows,
      matched: planted.webMatched,
      unmatched: { count: webRows - planted.webMatched - planted.webAmbiguous },
      ambiguous: { count: planted.webAmbiguous },
      conflicting: { count: planted.webConflicting },
      values: planted.webMatched * 2,
    });
    expect(web.conflicting.rows).toHaveLength(1_000);
    expect(new Set(web.conflicting.rows.map((r) => r.attribute))).toEqual(new Set(['plan']));
    expect(web.ambiguous.rows[0]?.individuals).toHaveLength(2);
  });

  it('resolves every individual’s winning values in one pass', () => {
    const started = performance.now();
    const resolved = profiles.resolvedAttributes(Date.UTC(2026, 1, 1));
    process.stdout.write(`resolved attributes of ${resolved.size} individuals in ${Math.round(performance.now() - started)} ms\n`);
    expect(resolved.size).toBe(people);
    // The CRM wins the plan wherever the web contradicts it; the web alone gives visits.
    for (const [individual, attributes] of [...resolved].slice(0, 1000)) {
      const detailed = profiles.subjectAttributes(individual, Date.UTC(2026, 1, 1)).attributes;
      expect(attributes).toEqual(Object.fromEntries(Object.entries(detailed).map(([name, a]) => [name, a.value])));
    }
  });
});
