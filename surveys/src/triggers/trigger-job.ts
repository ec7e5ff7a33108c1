import type { LogReader, LogRecord, PromptCaps, SurveyAudience } from '@parcours/contracts';
import { CoalescingRunner, type ConsumerOffsets, type Database } from '@parcours/gateway';
import type { Logger } from 'pino';
import { decidePrompt } from '../decisions/decide-prompt.js';
import type { PromptStore } from '../prompts/prompt-store.js';
import type { SurveyService } from '../survey-service.js';
import type { StoredSurvey } from '../survey-store.js';
import { type Firing, firings, type FunnelStepReached } from './trigger-firings.js';
import type { DerivedResult, TriggerInbox } from './trigger-inbox.js';
import type { SurveyPeople } from './survey-people.js';

const dayMs = 86_400_000;
/** The history a decision reads on each side of the trigger: the longest cap's window (7 days) and a day to spare. */
const historyMs = 8 * dayMs;
/** The job's position in the log, whose device events `event` and `funnel_step` triggers match. */
const eventsConsumer = 'survey-triggers';

export interface TriggerJobDeps {
  db: Database;
  inbox: TriggerInbox;
  /** The gateway's log, followed for device events from the job's offset (committed with the prompts recorded). */
  log: LogReader;
  offsets: ConsumerOffsets;
  /** Reads the declared funnels for `funnel_step` triggers (the analytics). */
  funnelStepReached: FunnelStepReached;
  surveys: SurveyService;
  prompts: PromptStore;
  people: SurveyPeople;
  settings: { defaultTimeZone: string; caps: PromptCaps };
  /** Told after prompts were recorded: the delivery sends those due. */
  onRecorded: () => void;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
}

/**
 * Matches the derived results in the inbox, and the device events of the log, against the active surveys'
 * triggers and records one decision per survey, person and trigger, removing each result (moving past each
 * event) in the transaction that records its prompts. Prompts are keyed by survey, person and trigger: a result
 * matched again (after a crash, or re-derived) records nothing new, nor does a re-derived result under a new id
 * about a use already asked about. Closes the surveys whose response target came
 * or whose end passed.
 */
export class TriggerJob {
  private readonly now: () => number;
  private readonly runner: CoalescingRunner;
  private unfollow: (() => void) | null = null;

  constructor(private readonly deps: TriggerJobDeps) {
    this.now = deps.now ?? Date.now;
    this.runner = new CoalescingRunner(
      () => this.drain(),
      (error) => deps.logger.warn({ err: error }, 'could not match derived results against survey triggers; retrying'),
      deps.intervalMs ?? 1_000,
    );
  }

  /** Starts its timer and runs once: what waits from before (a crash, a batch command) goes now. */
  start(): Promise<void> {
    this.unfollow = this.deps.log.onAppend(() => this.wake());
    return this.runner.start();
  }

  async stop(): Promise<void> {
    this.unfollow?.();
    this.unfollow = null;
    await this.runner.stop();
  }

  /** Matches soon what was just committed; nothing while stopped (a batch command's process leaves it to the server). */
  wake(): void {
    // After the committing transaction has returned: the run reads what it wrote.
    if (this.runner.started) setImmediate(() => void this.runner.run());
  }

  /** Matches everything in the inbox now, after the run in progress. */
  flush(): Promise<void> {
    return this.runner.run();
  }

  private drain(): void {
    const { inbox, db, surveys } = this.deps;
    // A device clock before any data has no time yet: results and events wait for it.
    if (!Number.isFinite(this.now())) return;
    let recorded = 0;
    for (let batch = inbox.peek(100); batch.length > 0; batch = inbox.peek(100))
      for (const entry of batch)
        db.transaction(() => {
          recorded += this.handle(entry.result, this.now());
          inbox.remove(entry.id);
        })();
    recorded += this.followEvents();
    surveys.closeEnded(this.now());
    if (recorded > 0) this.deps.onRecorded();
  }

  /** Matches the log's device events after the job's offset, a batch per transaction; answers how many prompts were new. */
  private followEvents(): number {
    const { db, log, offsets } = this.deps;
    let recorded = 0;
    for (
      let records = log.readAfter(offsets.get(eventsConsumer), 500, false);
      records.length > 0;
      records = log.readAfter(offsets.get(eventsConsumer), 500, false)
    )
      db.transaction(() => {
        const now = this.now();
        // Only surveys that can fire on an event: most records are not matched at all.
        const surveys = this.deps.surveys.activeSurveys(now).filter((s) => s.survey.triggers.some((t) => t.on === 'event' || t.on === 'funnel_step'));
        for (const record of surveys.length === 0 ? [] : records) {
          const event = deviceEvent(record);
          if (event) recorded += this.match(surveys, event, now);
        }
        offsets.commit(eventsConsumer, records.at(-1)!.offset);
      })();
    return recorded;
  }

  /**
   * Relinks the prompts a closed session or journey holds (it may be a re-derivation under a new id), then decides
   * and records the prompts it triggers, as of `now`; answers how many were new.
   */
  handle(result: DerivedResult, now: number): number {
    const { prompts } = this.deps;
    if (result.kind === 'session') prompts.relinkSession(result.session);
    else if (result.kind === 'journey' && result.journey.subjectKind === 'individual')
      prompts.relinkJourney({ ...result.journey, personId: result.journey.subjectId });
    return this.match(this.deps.surveys.activeSurveys(now), result, now);
  }

  private match(surveys: readonly StoredSurvey[], result: DerivedResult, now: number): number {
    let recorded = 0;
    for (const survey of surveys)
      for (const firing of firings(survey.survey, result, this.deps.funnelStepReached)) if (this.decide(survey, firing, now)) recorded += 1;
    return recorded;
  }

  private decide(survey: StoredSurvey, firing: Firing, now: number): boolean {
    const { people, prompts, settings } = this.deps;
    if (firing.use !== null && prompts.askedAbout(survey.id, firing.personId, firing.rule, firing.use)) return false;
    const { audience } = survey.survey;
    const collectives = people.collectivesAt(firing.personId, firing.at);
    if (!inAudience(audience, collectives, () => audience.kind === 'attributes' && people.meetsAt(firing.personId, firing.at, audience.conditions)))
      return false;
    const timeZone = people.timeZoneAt(firing.personId, firing.at);
    const decision = decidePrompt({
      survey: { id: survey.id, version: survey.version, definition: survey.survey },
      trigger: { key: firing.key, at: firing.at },
      person: {
        id: firing.personId,
        ...(timeZone === undefined ? {} : { timeZone }),
        consentsToSurveys: !people.optedOutOfSurveys(firing.personId, firing.at + survey.survey.delay),
      },
      defaultTimeZone: settings.defaultTimeZone,
      history: prompts.history(firing.personId, firing.at - historyMs, firing.at + historyMs),
      globalCaps: settings.caps,
      answers: prompts.answers(survey.id, now),
      now,
    });
    const isNew = prompts.record(
      decision,
      {
        triggeredAt: firing.at,
        sessionId: firing.sessionId,
        journeyId: firing.journeyId,
        deviceId: firing.deviceId,
        rule: firing.rule,
        deviceType: firing.deviceType,
        path: firing.path,
        collectives,
        // The draw's stratum is the panel's business: not known here.
        stratum: null,
        community: audience.kind === 'community' ? audience.communityId : null,
      },
      now,
    );
    const target = survey.survey.responseTarget;
    if (decision.decision === 'closed' || (target !== undefined && prompts.answers(survey.id, now) >= target))
      this.deps.surveys.close(survey.id, { reason: 'target_reached', at: now, version: survey.version });
    return isNew;
  }
}

/** Whether the person is in the survey's audience as of the trigger. */
function inAudience(audience: SurveyAudience, collectives: readonly string[], meetsConditions: () => boolean): boolean {
  switch (audience.kind) {
    case 'everyone':
      return true;
    case 'panel':
      return collectives.includes(audience.panelId);
    case 'community':
      return collectives.includes(audience.communityId);
    case 'attributes':
      return meetsConditions();
  }
}

/** The log record as an event triggers match, if it is a device event. */
function deviceEvent(record: LogRecord): Extract<DerivedResult, { kind: 'event' }> | null {
  if (record.channel !== 'events' || record.type === null) return null;
  const { deviceId, seq, deviceType, type, ts, subjectId, subjectKind, actor } = record;
  return { kind: 'event', event: { deviceId, seq, deviceType, type, ts, subjectId, subjectKind, actor } };
}
