import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type PanelDrawInput, panelDrawSchema, sourceSchema } from '@parcours/contracts';
import { crmId, customerId, generateCustomerBase } from '@parcours/firmware-sim';
import { createGatewayMetrics, EmbeddedStore, Gateway, gatewayMigrations } from '@parcours/gateway';
import { PanelService, PanelStore, panelMigrations, storeUniverseSources } from '@parcours/panels';
import { pino } from 'pino';
import { Registry } from 'prom-client';

/**
 * Drawing a panel of 10,000 from a universe of 300,000 customers (the simulator's customer base: 13 régions ×
 * 5 household sizes × 6 age bands), through the PanelService the running Parcours uses, on a fresh store:
 * a dry run, a stratified draw written as the panel's memberships, and a balanced (cube) draw on the same
 * attributes' levels.
 */
const universeSize = Number(process.env.BENCH_PANEL_UNIVERSE ?? 300_000);
const panelSize = 10_000;
const startsAt = Date.UTC(2026, 2, 2);
const strata = ['region', 'household_size', 'age_band'];

/** Milliseconds of each stage of a draw, and of the whole draw. */
export interface DrawTimes {
  total: number;
  universe: number;
  /** Allocation and selection: what the draw does between building the universe and writing it. */
  draw: number;
  writing: number;
}

export interface PanelDrawFigures {
  universe: number;
  cells: number;
  dryRun: DrawTimes;
  stratified: DrawTimes;
  balanced: DrawTimes;
}

/** The time spent in each stage, added up by the timed store and service below. */
class StageClock {
  universe = 0;
  writing = 0;

  time<T>(stage: 'universe' | 'writing', run: () => T): T {
    const started = performance.now();
    try {
      return run();
    } finally {
      this[stage] += performance.now() - started;
    }
  }

  /** Times `run` whole, and splits it into its stages. */
  measure<T>(run: () => T): { result: T; times: DrawTimes } {
    this.universe = 0;
    this.writing = 0;
    const started = performance.now();
    const result = run();
    const total = performance.now() - started;
    return { result, times: { total, universe: this.universe, draw: total - this.universe - this.writing, writing: this.writing } };
  }
}

class TimedPanelStore extends PanelStore {
  constructor(
    private readonly clock: StageClock,
    ...args: ConstructorParameters<typeof PanelStore>
  ) {
    super(...args);
  }

  override create(...args: Parameters<PanelStore['create']>): void {
    this.clock.time('writing', () => super.create(...args));
  }
}

class TimedPanelService extends PanelService {
  constructor(
    private readonly clock: StageClock,
    ...args: ConstructorParameters<typeof PanelService>
  ) {
    super(...args);
  }

  override universe(...args: Parameters<PanelService['universe']>): ReturnType<PanelService['universe']> {
    return this.clock.time('universe', () => super.universe(...args));
  }
}

/**
 * The customer base in a fresh store, built the fastest honest way: the people written to the registry's
 * table directly (its per-subject checks are not what is measured), their CRM ids and the CRM file imported
 * as Parcours imports them, so that the profile attributes (a postcode resolved to its région, moves
 * included) are what a real import stores.
 */
function fillStore(gateway: Gateway, store: EmbeddedStore): void {
  const base = generateCustomerBase({ size: universeSize, seed: 11, startsAt });
  const ids = Array.from({ length: universeSize }, (_, i) => customerId(base.customers, i));
  const person = store.db.prepare("INSERT INTO subjects (id, kind, type, name) VALUES (?, 'individual', 'person', ?)");
  store.db.transaction(() => {
    for (const id of ids) person.run(id, id);
  })();
  const crm = base.files.find((f) => f.source.id === 'crm')!;
  gateway.profiles.createSource(sourceSchema.parse(crm.source));
  gateway.profiles.importIdentities({ csv: `individual_id,crm_id\n${ids.map((id, i) => `${id},${crmId(i)}\n`).join('')}` });
  // The CRM's cells are codes, dates and names without commas or quotes: joined as they are.
  const lines = [crm.columns.join(',')];
  for (const row of crm.rows()) lines.push(crm.columns.map((column) => row.cells[column] ?? '').join(','));
  const report = gateway.profiles.importTraits('crm', { csv: `${lines.join('\n')}\n` });
  if (report.matched !== report.rows) throw new Error(`only ${report.matched} of ${report.rows} CRM rows matched`);
}

export function panelDrawTimes(): PanelDrawFigures {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-bench-panels-'));
  const config = configSchema.parse({ data: { dir, sync: 'normal' }, sim: { scenario: 'none' } });
  const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...panelMigrations]);
  try {
    const gateway = new Gateway({ store, config, logger: pino({ level: 'silent' }), metrics: createGatewayMetrics(new Registry()) });
    fillStore(gateway, store);
    const clock = new StageClock();
    // As src/app.ts builds it; no community is recruited, so no sessions, funnels or weeks are counted.
    const panels = new TimedPanelService(clock, {
      registry: gateway.registry,
      consents: gateway.consents,
      store: new TimedPanelStore(clock, store.db, gateway.registry),
      sources: storeUniverseSources({
        registry: gateway.registry,
        consents: gateway.consents,
        log: gateway.log,
        profileAttributes: (at, names) => gateway.profiles.resolvedAttributes(at, names),
      }),
      sessionsPerIndividual: () => new Map(),
      individualsReachingStep: () => new Set(),
      weeksActivePerIndividual: () => new Map(),
      writePoints: null,
      logger: pino({ level: 'silent' }),
    });
    const request = (input: Partial<PanelDrawInput>) =>
      panelDrawSchema.parse({
        name: 'Bench',
        size: panelSize,
        seed: 7,
        at: new Date(startsAt).toISOString(),
        rotationGroups: 4,
        design: { method: 'stratified', strata },
        ...input,
      });
    const [dryRunRequest, stratifiedRequest, balancedRequest] = [
      request({ dryRun: true }),
      request({ id: 'bench-stratified' }),
      request({ id: 'bench-balanced', design: { method: 'balanced', balanceOn: strata.map((attribute) => ({ attribute })) } }),
    ];
    const dryRun = clock.measure(() => panels.draw(dryRunRequest));
    const stratified = clock.measure(() => panels.draw(stratifiedRequest));
    const balanced = clock.measure(() => panels.draw(balancedRequest));
    for (const { result } of [dryRun, stratified, balanced])
      if (result.plan.universeSize !== universeSize || result.plan.size !== panelSize)
        throw new Error(`a ${result.plan.method} draw took ${result.plan.size} of ${result.plan.universeSize}`);
    return { universe: universeSize, cells: dryRun.result.plan.cells.length, dryRun: dryRun.times, stratified: stratified.times, balanced: balanced.times };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
