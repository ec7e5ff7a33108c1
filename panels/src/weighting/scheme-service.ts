import { randomUUID } from 'node:crypto';
import { errorCodes, type Membership, type MemberWeight, ParcoursError, type SchemeRun, type UniverseFilter, type WeightingScheme } from '@parcours/contracts';
import type { RegistryStore } from '@parcours/gateway';
import { type AreaLevel, populationBy } from '@parcours/geography';
import type { PanelStore } from '../panel-store.js';
import { stratumOf } from '../draw.js';
import { buildUniverse, type UniverseSources } from '../universe.js';
import type { SchemeWeighting } from '@parcours/weighting';
import type { StoredSchemeRun } from './run-points.js';
import { runScheme } from './run-scheme.js';
import { inputsOf, type SampledMember, schemeVariables, storedInputs, weightingInputs } from './scheme-inputs.js';
import type { SchemeStore, StoredSchemeVersion } from './scheme-store.js';

export interface SchemeServiceDeps {
  store: SchemeStore;
  panels: PanelStore;
  registry: RegistryStore;
  sources: UniverseSources;
  /** Inhabitants per area code; geography's legal populations when absent. */
  populationBy?: (level: AreaLevel) => ReadonlyMap<string, number>;
  /** The people who answered a prompt of the survey by `at`; null when there is no such survey. */
  respondents: (surveyId: string, at: number) => ReadonlySet<string> | null;
  /** Told of each stored run (InfluxDB's points, the weighted aggregates to recompute); absent without InfluxDB. */
  writeRun?: ((run: StoredSchemeRun) => void) | undefined;
  now?: () => number;
}

/**
 * Weights whose figures could have no variance are refused at the run rather than at the first weighted request:
 * a draw stratum left with a single member has no spread to estimate by linearization.
 */
function refuseLonelyStrata({ design }: SchemeWeighting['weighting']): void {
  // A stratum whose whole population is its one member has no variance to estimate, and needs none.
  const lonely = design.strata.filter((_, h) => design.stratumCounts[h] === 1 && design.stratumSizes[h]! > 1);
  if (lonely.length === 0) return;
  const named = `${lonely.slice(0, 3).join('; ')}${lonely.length > 3 ? '; …' : ''}`;
  throw new ParcoursError(
    errorCodes.weightingLonelyUnit,
    `${lonely.length === 1 ? 'a stratum' : `${lonely.length} strata`} of the draw ${lonely.length === 1 ? 'has' : 'have'} a single member (${named}): weighted figures could have no standard error; weight with strata: none, or refresh the panel`,
  );
}

/** Weightings kept for weighted figures; a run replaced or a new version makes a new key. */
const keptWeightings = 4;

const everyone: UniverseFilter = { type: null, attributes: [], usage: [] };
const holdsAt = (m: Membership, t: number) => m.validFrom <= t && (m.validTo === null || t < m.validTo);

/** Makes versions of weighting schemes and runs them: the sample and targets as of the scheme's date, weighted and stored. */
export class SchemeService {
  private readonly now: () => number;
  private readonly weightings = new Map<string, SchemeWeighting>();

  constructor(private readonly deps: SchemeServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A new scheme, as its version 1; an id already taken is a conflict. */
  create(scheme: WeightingScheme & { id?: string | undefined }): StoredSchemeVersion {
    const { id = randomUUID(), ...content } = scheme;
    if (this.deps.store.latestVersion(id) !== null) throw new ParcoursError(errorCodes.conflict, `weighting scheme ${id} already exists`);
    return this.addVersion(id, content);
  }

  /** The scheme's next version; its earlier ones are kept. */
  update(id: string, scheme: WeightingScheme): StoredSchemeVersion {
    this.require(id);
    return this.addVersion(id, scheme);
  }

  require(id: string, version?: number): StoredSchemeVersion {
    const stored = this.deps.store.get(id, version);
    if (stored) return stored;
    throw new ParcoursError(
      errorCodes.notFound,
      version === undefined || this.deps.store.latestVersion(id) === null
        ? `weighting scheme ${id} does not exist`
        : `weighting scheme ${id} has no version ${version}`,
    );
  }

  /**
   * Weights the version's sample as of its date. Unless a dry run, stores one weight per member and the report
   * for that version (replacing an earlier run of it); an infeasible problem throws and stores nothing.
   */
  run(id: string, options: { version?: number | undefined; dryRun: boolean }): SchemeRun {
    const stored = this.require(id, options.version);
    const { scheme } = stored;
    const members = this.sample(scheme);
    const inputs = weightingInputs(scheme, members, {
      universe: (filter, attributes) => {
        // Targets count the population, those who refused panels included: weighting stands in for them.
        if (filter) return buildUniverse(filter, scheme.at, this.deps.sources, { attributes, withOptedOut: true });
        const frame = this.targetFrame(scheme);
        const all = buildUniverse(frame.universe, scheme.at, this.deps.sources, {
          attributes: [...new Set([...attributes, ...frame.strata])],
          withOptedOut: true,
        });
        return frame.strata.length === 0 ? all : all.filter((member) => stratumOf(member, frame.strata) !== null);
      },
      population: (level) => (this.deps.populationBy ?? populationBy)(level),
    });
    const weighting = runScheme(scheme, inputs);
    refuseLonelyStrata(weighting);
    const ranAt = this.now();
    if (!options.dryRun) {
      const weights: MemberWeight[] = inputs.ids.map((individualId, k) => ({
        individualId,
        baseWeight: inputs.baseWeights[k]!,
        weight: weighting.weights[k]!,
      }));
      this.deps.store.saveRun(id, stored.version, { ranAt, report: weighting.report, inputs: storedInputs(inputs) }, weights);
      this.deps.writeRun?.({ schemeId: id, version: stored.version, at: scheme.at, ranAt, report: weighting.report, weights: weighting.weights });
    }
    return { schemeId: id, version: stored.version, at: scheme.at, ranAt, stored: !options.dryRun, size: inputs.ids.length, report: weighting.report };
  }

  /** The stored run of a version (the latest when none is named). */
  report(id: string, version?: number): SchemeRun {
    const stored = this.require(id, version);
    const run = this.deps.store.run(id, stored.version);
    if (!run) throw new ParcoursError(errorCodes.notFound, `version ${stored.version} of weighting scheme ${id} has not run`);
    return {
      schemeId: id,
      version: stored.version,
      at: stored.scheme.at,
      ranAt: run.ranAt,
      stored: true,
      size: this.deps.store.weights(id, stored.version, 0, 0).total,
      report: run.report,
    };
  }

  /**
   * The weighting of a version's stored run (the latest version when none is named), redone from the inputs the
   * run kept — the same computation on the same numbers, so the same weights — with what its variances need.
   */
  weighting(id: string, version?: number): SchemeWeighting {
    const stored = this.require(id, version);
    const run = this.deps.store.run(id, stored.version);
    if (!run) throw new ParcoursError(errorCodes.notFound, `version ${stored.version} of weighting scheme ${id} has not run`);
    const key = `${id}\u0000${stored.version}\u0000${run.ranAt}`;
    const kept = this.weightings.get(key);
    if (kept) return kept;
    const inputs = this.deps.store.inputs(id, stored.version);
    if (!inputs) throw new ParcoursError(errorCodes.notFound, `version ${stored.version} of weighting scheme ${id} must run again to weight figures`);
    const weighted: SchemeWeighting = {
      schemeId: id,
      version: stored.version,
      at: stored.scheme.at,
      ranAt: run.ranAt,
      ids: inputs.ids,
      weighting: runScheme(stored.scheme, inputsOf(inputs)),
    };
    if (this.weightings.size >= keptWeightings) this.weightings.delete(this.weightings.keys().next().value!);
    this.weightings.set(key, weighted);
    return weighted;
  }

  /** The schemes whose latest version has a stored run, with that version: those whose weights figures follow. */
  latestRuns(): { schemeId: string; version: number }[] {
    const { store } = this.deps;
    return store
      .list()
      .filter((s) => store.run(s.id, s.version) !== null)
      .map((s) => ({ schemeId: s.id, version: s.version }));
  }

  /** A page of a version's stored weights (the latest version when none is named). */
  weights(id: string, page: { version?: number | undefined; limit: number; offset: number }) {
    const stored = this.require(id, page.version);
    if (!this.deps.store.run(id, stored.version))
      throw new ParcoursError(errorCodes.notFound, `version ${stored.version} of weighting scheme ${id} has not run`);
    return { version: stored.version, ...this.deps.store.weights(id, stored.version, page.limit, page.offset) };
  }

  private addVersion(id: string, scheme: WeightingScheme): StoredSchemeVersion {
    const now = this.now();
    // Resolved now, so that every run of the version weighs the same sample to the same targets.
    const version = this.deps.store.addVersion(id, { ...scheme, at: scheme.at ?? now }, now);
    return this.deps.store.get(id, version)!;
  }

  /**
   * The sample's members as of the scheme's date, with the attributes its margins cross and their draw's probability;
   * those who answered the survey only, for a scheme of its respondents.
   */
  private sample(scheme: WeightingScheme & { at: number }): SampledMember[] {
    const members = this.members(scheme);
    if (scheme.respondentsOf === undefined) return members;
    const respondents = this.deps.respondents(scheme.respondentsOf, scheme.at);
    if (respondents === null) throw new ParcoursError(errorCodes.notFound, `survey ${scheme.respondentsOf} does not exist`);
    return members.filter((m) => respondents.has(m.id));
  }

  private members(scheme: WeightingScheme & { at: number }): SampledMember[] {
    const attributes = schemeVariables(scheme);
    const { sample, at } = scheme;
    if (sample.kind === 'universe') {
      return buildUniverse(sample.universe, at, this.deps.sources, { attributes }).map((m) => ({ ...m, inclusionProbability: null, stratum: null }));
    }
    const collectiveId = sample.kind === 'panel' ? this.panel(sample.panelId).id : this.community(sample.communityId).id;
    const memberships = this.deps.registry.listMemberships({ collectiveId, limit: -1, offset: 0 }).filter((m) => holdsAt(m, at));
    const known = new Map(buildUniverse(everyone, at, this.deps.sources, { attributes }).map((m) => [m.id, m.attributes]));
    return memberships
      .map((m) => ({
        id: m.individualId,
        attributes: known.get(m.individualId) ?? {},
        inclusionProbability: m.draw?.inclusionProbability ?? null,
        stratum: m.draw?.stratum ?? null,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Whom `from: universe` targets count by default: the panel's universe (a community's panel's), or the sample's
   * own; with the strata of a stratified draw, whose people without a level of one the draw left out, as the
   * targets must.
   */
  private targetFrame(scheme: WeightingScheme): { universe: UniverseFilter; strata: readonly string[] } {
    const { sample } = scheme;
    if (sample.kind === 'universe') return { universe: sample.universe, strata: [] };
    const panelId = sample.kind === 'panel' ? sample.panelId : this.communityPanel(sample.communityId);
    const { universe, design } = this.panel(panelId).definition;
    return { universe, strata: design.method === 'stratified' ? design.strata : [] };
  }

  private communityPanel(communityId: string): string {
    const panelId = this.community(communityId).attributes.panel;
    if (typeof panelId !== 'string') throw new ParcoursError(errorCodes.validation, `community ${communityId} names no panel: give the targets' universe`);
    return panelId;
  }

  private panel(id: string) {
    const panel = this.deps.panels.get(id);
    if (!panel) throw new ParcoursError(errorCodes.notFound, `panel ${id} does not exist`);
    return panel;
  }

  private community(id: string) {
    const subject = this.deps.registry.getSubject(id);
    if (subject?.kind !== 'collective' || subject.type !== 'community') throw new ParcoursError(errorCodes.notFound, `community ${id} does not exist`);
    return subject;
  }
}
