import { randomUUID } from 'node:crypto';
import {
  type CommunityRecruit,
  type DrawPlan,
  errorCodes,
  type Membership,
  measurements,
  type PanelDraw,
  type PanelRefresh,
  ParcoursError,
  type Representativeness,
} from '@parcours/contracts';
import type { ConsentStore, InfluxPoint, RegistryStore } from '@parcours/gateway';
import type { Logger } from 'pino';
import { recruitCommunity, sessionsKey } from './communities.js';
import { drawPanel } from './draw.js';
import type { PanelStore } from './panel-store.js';
import { planRefresh } from './refresh.js';
import { churnWindowMs, panelVariables, representativeness } from './representativeness.js';
import { buildUniverse, type UniverseKept, type UniverseMember, type UniverseSources } from './universe.js';

export interface PanelServiceDeps {
  registry: RegistryStore;
  consents: ConsentStore;
  store: PanelStore;
  sources: UniverseSources;
  /** Sessions of a device type started in `[from, to)`, per individual. */
  sessionsPerIndividual(deviceType: string, from: number, to: number): ReadonlyMap<string, number>;
  /**
   * The individuals who entered a declared funnel in `[from, to)` and reached its step `step` (1 = entry)
   * before `to`, as the funnel routes count them; throws a validation error naming a funnel that is not
   * declared, is counted by collective, or has no such step.
   */
  individualsReachingStep(funnel: string, step: number, from: number, to: number): ReadonlySet<string>;
  /** Per individual, in how many of the `weeks` whole ISO weeks before the week of `at` they had a counted session, as retention counts them. */
  weeksActivePerIndividual(weeks: number, at: number): ReadonlyMap<string, number>;
  /** Where `panel_health` points go; null without InfluxDB. */
  writePoints: ((points: InfluxPoint[]) => Promise<void>) | null;
  logger: Logger;
  now?: () => number;
}

const holdsAt = (m: Membership, t: number) => m.validFrom <= t && (m.validTo === null || t < m.validTo);

/** The usage measures a panel keeps on its universe's members beyond those its filter reads: its balancing usage. */
const measuresOf = (definition: PanelDraw) =>
  definition.design.method === 'balanced'
    ? definition.design.balanceOn.flatMap((v) => ('usage' in v ? [{ deviceType: v.usage, within: v.activeWithin }] : []))
    : [];

/** What a panel's universe keeps beyond its filter: the variables it is drawn and judged on, its balancing usage. */
const keptBy = (definition: PanelDraw): UniverseKept => ({ attributes: panelVariables(definition), measures: measuresOf(definition) });

/** Draws, refreshes and judges panels, and recruits communities in them, on the store. */
export class PanelService {
  private readonly now: () => number;

  constructor(private readonly deps: PanelServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  universe(definition: PanelDraw, at: number): UniverseMember[] {
    return buildUniverse(definition.universe, at, this.deps.sources, keptBy(definition));
  }

  /** A dry run answers the plan alone; otherwise the panel is written with its members from `at`. */
  draw(request: PanelDraw): { id: string | null; plan: DrawPlan } {
    const at = request.at ?? this.now();
    const universe = this.universe(request, at);
    const { plan, members } = drawPanel(universe, request, at);
    if (request.dryRun) return { id: null, plan };
    const id = request.id ?? randomUUID();
    const definition = { ...request, dryRun: false };
    this.deps.store.create(id, definition, at, members);
    this.writeHealthLater(id, definition, at, universe);
    return { id, plan };
  }

  refresh(
    id: string,
    refresh: PanelRefresh,
  ): { at: number; left: Record<string, number>; joined: number; shortfall: { stratum: string; missing: number }[]; size: number } {
    const panel = this.require(id);
    const at = refresh.at ?? this.now();
    const { definition } = panel;
    const memberships = this.deps.store.memberships(id);
    const current = memberships.filter((m) => holdsAt(m, at));
    const departed = this.deps.store.unrecordedDepartures(id, at);
    const coolingDown = new Set(
      memberships.filter((m) => m.validTo !== null && m.validTo <= at && m.validTo > at - definition.cooldown).map((m) => m.individualId),
    );
    const universe = this.universe(definition, at);
    const plan = planRefresh({
      definition,
      universe,
      current,
      departed,
      coolingDown,
      inactive: refresh.inactiveAfter === null ? new Set() : this.inactive(definition, current, refresh.inactiveAfter, at),
      rotateGroup: refresh.rotateGroup,
      seed: refresh.seed,
    });
    const left: Record<string, number> = {};
    this.deps.registry.batch(() => {
      for (const m of departed) {
        const reason = this.deps.consents.optedOut(m.individualId, 'panel', m.validTo!) ? 'opted_out' : 'membership_ended';
        this.deps.store.leave(id, m, reason, m.validTo!);
        left[reason] = (left[reason] ?? 0) + 1;
      }
      for (const { membership, reason } of plan.leave) {
        this.deps.store.leave(id, membership, reason, at);
        left[reason] = (left[reason] ?? 0) + 1;
      }
      for (const m of plan.join) this.deps.store.join(id, m.individualId, m.draw, at, 'joined');
    });
    // Who the universe holds does not change with the panel: the health is judged on the same one.
    this.writeHealthLater(id, definition, at, universe);
    const size = current.length - plan.leave.length + plan.join.length;
    return { at, left, joined: plan.join.length, shortfall: plan.shortfall, size };
  }

  representativeness(id: string, at = this.now()): Representativeness {
    const { definition } = this.require(id);
    return this.judge(id, definition, at, this.universe(definition, at));
  }

  private judge(id: string, definition: PanelDraw, at: number, universe: readonly UniverseMember[]): Representativeness {
    const memberships = this.deps.store.memberships(id);
    return representativeness({
      panelId: id,
      at,
      definition,
      universe,
      current: memberships.filter((m) => holdsAt(m, at)),
      events: this.deps.store.events(id, at - churnWindowMs, at),
      membersAtWindowStart: memberships.filter((m) => holdsAt(m, at - churnWindowMs)).length,
    });
  }

  recruit(request: CommunityRecruit): { id: string; panelId: string; eligible: number; recruited: number; dryRun: boolean } {
    const panel = this.require(request.panelId);
    const at = request.at ?? this.now();
    const current = this.deps.store.memberships(panel.id).filter((m) => holdsAt(m, at));
    const panelProbability = new Map(current.map((m) => [m.individualId, m.draw?.inclusionProbability ?? 1]));
    const measures = request.usage.map((u) => ({ deviceType: u.deviceType, within: u.activeWithin }));
    const attributes = [...request.attributes.map((c) => c.name), ...(request.quotas?.strata ?? [])];
    const members = buildUniverse({ type: null, attributes: [], usage: [] }, at, this.deps.sources, { attributes, measures }).filter((m) =>
      panelProbability.has(m.id),
    );
    const sessions = new Map(
      request.sessions.map((s) => [sessionsKey(s.deviceType, s.within), this.deps.sessionsPerIndividual(s.deviceType, at - s.within, at)]),
    );
    const funnels = request.funnels.map((f) => this.deps.individualsReachingStep(f.funnel, f.step, at - f.within, at));
    const { retained } = request;
    const weeksActive = retained === null ? null : this.deps.weeksActivePerIndividual(retained.within, at);
    const { eligible, chosen } = recruitCommunity(request, members, panelProbability, { sessions, funnels, weeksActive });
    const id = request.id ?? randomUUID();
    if (!request.dryRun) {
      this.deps.registry.createCollectiveWithMembers(
        { id, kind: 'collective', type: 'community', name: request.name, attributes: { panel: panel.id } },
        chosen.map((m) => ({ individualId: m.individualId, role: 'member', validFrom: at, validTo: request.validTo, draw: m.draw })),
      );
    }
    return { id, panelId: panel.id, eligible, recruited: chosen.length, dryRun: request.dryRun };
  }

  /** Writes every panel's health now (the periodic job); a failure is logged, and the next run tries again. */
  writeAllHealth(at = this.now()): void {
    for (const { id, definition } of this.deps.store.list()) this.writeHealthLater(id, definition, at, this.universe(definition, at));
  }

  /** Judges the panel on a universe already built and sends the point; without InfluxDB, nothing is computed. */
  private writeHealthLater(id: string, definition: PanelDraw, at: number, universe: readonly UniverseMember[]): void {
    const write = this.deps.writePoints;
    if (!write) return;
    const r = this.judge(id, definition, at, universe);
    write([
      {
        measurement: measurements.panelHealth,
        tags: { panel: id },
        fields: { max_margin_gap_points: r.maxDifferencePoints, churn_rate: r.churn.rate, ...(r.rIndicator === null ? {} : { r_indicator: r.rIndicator }) },
        intFields: { size: r.size, universe: r.universeSize, left_30d: r.churn.left, joined_30d: r.churn.joined },
        timestampMs: at,
      },
    ]).catch((error: unknown) => this.deps.logger.warn({ err: error, panel: id }, 'could not write the panel health to InfluxDB'));
  }

  /** Members none of whose devices of the panel's usage types sent anything over the last `within`. */
  private inactive(definition: PanelDraw, current: readonly Membership[], within: number, at: number): Set<string> {
    const types = new Set([...definition.universe.usage.map((u) => u.deviceType), ...measuresOf(definition).map((m) => m.deviceType)]);
    if (types.size === 0) return new Set();
    const active = new Set<string>();
    for (const type of types) for (const [id, days] of this.deps.sources.activeDays(type, within, at)) if (days > 0) active.add(id);
    return new Set(current.map((m) => m.individualId).filter((id) => !active.has(id)));
  }

  private require(id: string) {
    const panel = this.deps.store.get(id);
    if (!panel) throw new ParcoursError(errorCodes.notFound, `panel ${id} does not exist`);
    return panel;
  }
}
