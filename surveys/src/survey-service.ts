import { randomUUID } from 'node:crypto';
import { errorCodes, type Funnel, ParcoursError, ParcoursInputError, type Survey, type SurveyCloseReason, type SurveyState } from '@parcours/contracts';
import type { StoredSurvey, SurveyDefinition, SurveyStore } from './survey-store.js';

export interface SurveyServiceDeps {
  store: SurveyStore;
  /** The funnels declared (`analytics.funnels`), which `funnel_step` triggers name. */
  funnels: readonly Funnel[];
  now?: () => number;
}

/**
 * Makes versions of surveys, closes them and says which may prompt. Closing is final for the survey's current
 * version: only a new version (a change) opens a closed survey again.
 */
export class SurveyService {
  private readonly now: () => number;

  constructor(private readonly deps: SurveyServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A new survey, as its version 1, open; an id already taken is a conflict. */
  create(survey: Survey & { id?: string | undefined }): StoredSurvey {
    const { id = randomUUID(), ...content } = survey;
    checkFunnels(content, this.deps.funnels);
    const now = this.now();
    if (!this.deps.store.create(id, resolved(content, now), now)) throw new ParcoursError(errorCodes.conflict, `survey ${id} already exists`);
    return this.require(id);
  }

  /** The survey's next version, which opens it if it was closed; its earlier versions are kept. */
  update(id: string, survey: Survey): StoredSurvey {
    checkFunnels(survey, this.deps.funnels);
    const now = this.now();
    if (this.deps.store.addVersion(id, resolved(survey, now), now) === null) throw new ParcoursError(errorCodes.notFound, `survey ${id} does not exist`);
    return this.require(id);
  }

  /** A version of the survey (the latest when none is named), with the survey's state. */
  require(id: string, version?: number): StoredSurvey {
    const stored = this.deps.store.get(id, version);
    if (stored) return stored;
    throw new ParcoursError(
      errorCodes.notFound,
      version === undefined || this.deps.store.latestVersion(id) === null ? `survey ${id} does not exist` : `survey ${id} has no version ${version}`,
    );
  }

  /** A page of the surveys at their latest version, by id; those in one state when it is named. */
  list(page: { state?: SurveyState | undefined; limit: number; offset: number }): { items: StoredSurvey[]; total: number } {
    return this.deps.store.list(page);
  }

  /**
   * Closes the survey, for a reason (`manual` by default). Closing a closed survey changes nothing: it keeps
   * when and why it first closed. With `version`, closes only while that version is the latest, so that a
   * close decided on an earlier version (its target reached) does not close a newer one.
   */
  close(id: string, closing: { reason?: SurveyCloseReason; at?: number; version?: number } = {}): StoredSurvey {
    this.require(id);
    this.deps.store.close(id, { reason: closing.reason ?? 'manual', at: closing.at ?? this.now(), version: closing.version });
    return this.require(id);
  }

  /** Closes, as `ended`, the open surveys whose latest version's endsAt is at or before `at`; answers those it closed. */
  closeEnded(at: number): StoredSurvey[] {
    return this.deps.store
      .ended(at)
      .filter((ended) => this.deps.store.close(ended.id, { reason: 'ended', at, version: ended.version }))
      .map((ended) => this.require(ended.id));
  }

  /** The surveys that may prompt at `at`: open, at their latest version, startsAt ≤ at < endsAt; by id. */
  activeSurveys(at: number): StoredSurvey[] {
    return this.deps.store.active(at);
  }
}

/** The survey with its start resolved (now by default), so that the version means the same whenever it is read. */
function resolved(survey: Survey, now: number): SurveyDefinition {
  const startsAt = survey.startsAt ?? now;
  // Located as the API locates a field of the request's body.
  if (survey.endsAt !== undefined && survey.endsAt <= startsAt)
    throw new ParcoursInputError('the survey ends before it starts', [
      { path: 'body.endsAt', message: 'must be after startsAt (when the version is made, if startsAt is not given)' },
    ]);
  return { ...survey, startsAt };
}

/** Refuses a `funnel_step` trigger whose funnel is not declared, is counted by collective (it tells no person) or has no such step. */
function checkFunnels(survey: Survey, funnels: readonly Funnel[]): void {
  survey.triggers.forEach((trigger, index) => {
    if (trigger.on !== 'funnel_step') return;
    const at = `triggers[${index}]`;
    const funnel = funnels.find((f) => f.name === trigger.funnel);
    if (!funnel) {
      const declared = funnels.length === 0 ? 'none is' : `${funnels.map((f) => f.name).join(', ')} are`;
      throw new ParcoursError(errorCodes.triggerFunnel, `${at}: no funnel "${trigger.funnel}" is declared in analytics.funnels (${declared})`);
    }
    if (funnel.countBy !== 'individual')
      throw new ParcoursError(
        errorCodes.triggerFunnel,
        `${at}: the funnel "${funnel.name}" is counted by ${funnel.countBy}: it tells no person who reached a step`,
      );
    if (trigger.step > funnel.steps.length)
      throw new ParcoursError(
        errorCodes.triggerFunnel,
        `${at}: the funnel "${funnel.name}" has ${funnel.steps.length} steps: there is no step ${trigger.step}`,
      );
  });
}
