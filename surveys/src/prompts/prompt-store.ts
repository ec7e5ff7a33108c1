import type { Answer, PromptDecision } from '@parcours/contracts';
import { type Database, statementCache } from '@parcours/gateway';
import type { SurveyAnswer, SurveyPrompt } from '../answers/survey-results.js';
import type { Decision } from '../decisions/decide-prompt.js';
import type { PromptHistoryEntry } from '../decisions/decision-input.js';

/** What a prompt was about, as of its trigger: kept with it so that answers are read next to the usage they follow. */
export interface PromptContext {
  triggeredAt: number;
  /** The session it followed, kept current: a re-derived session holding `triggeredAt` on `deviceId` relinks it. */
  sessionId: string | null;
  /** The person's journey it followed, kept current: a re-derived journey of the person holding `triggeredAt` relinks it. */
  journeyId: string | null;
  /** The device of the session or event it followed; null for a journey's close. */
  deviceId: string | null;
  /**
   * The trigger's rule (`session_closed`, `journey_step:2`, …): with the use, how a re-derived result is known as
   * asked about. Null for a step, transition or funnel prompt recorded before rules were kept.
   */
  rule: string | null;
  deviceType: string | null;
  /** The journey's path as text (`coffee_machine > water_heater`), when the trigger knows it. */
  path: string | null;
  /** The person's collectives as of the trigger. */
  collectives: readonly string[];
  stratum: string | null;
  community: string | null;
}

/** A recorded decision and what became of its prompt. */
export interface StoredPrompt extends PromptContext {
  promptId: string;
  surveyId: string;
  version: number;
  personId: string;
  trigger: string;
  decision: PromptDecision;
  detail: string;
  sendAt: number;
  expiresAt: number;
  decidedAt: number;
  deliveredAt: number | null;
  shownAt: number | null;
  answeredAt: number | null;
  dismissedAt: number | null;
  answer: Answer | null;
}

/** What changed a prompt: its decision recorded, then its showing, its answer or its dismissal (each once). */
export type PromptChangeKind = 'decided' | 'shown' | 'answered' | 'dismissed';

/** A change to a prompt, with the prompt as it stands after it. */
export interface PromptChange {
  kind: PromptChangeKind;
  prompt: StoredPrompt;
  /** When it happened: the decision's, showing's, answer's or dismissal's time. */
  at: number;
}

/**
 * Told of every change the store made, after it is written (a write that changes nothing tells nothing): how
 * InfluxDB gets survey points without the trigger job or the answer handlers knowing of it. It must not throw.
 */
export type PromptChangeListener = (change: PromptChange) => void;

interface Row {
  prompt_id: string;
  survey_id: string;
  version: number;
  person_id: string;
  trigger: string;
  decision: PromptDecision;
  detail: string;
  send_at: number;
  expires_at: number;
  decided_at: number;
  triggered_at: number;
  session_id: string | null;
  journey_id: string | null;
  device_id: string | null;
  trigger_rule: string | null;
  device_type: string | null;
  path: string | null;
  collectives: string;
  stratum: string | null;
  community: string | null;
  delivered_at: number | null;
  shown_at: number | null;
  answered_at: number | null;
  dismissed_at: number | null;
  answer: string | null;
}

/**
 * Every prompt decision, keyed by its prompt id (derived from survey, person and trigger): recording one again —
 * after a restart or a re-derivation — changes nothing, so no one is prompted twice for one trigger. Answers and
 * dismissals are recorded once, the first one kept.
 */
export class PromptStore {
  private readonly prepare: Database['prepare'];

  constructor(
    db: Database,
    private readonly onChange?: PromptChangeListener,
  ) {
    this.prepare = statementCache(db);
  }

  /** Tells the listener of a change that was written. */
  private changed(written: boolean, kind: PromptChangeKind, promptId: string, at: number): boolean {
    if (written && this.onChange) this.onChange({ kind, prompt: this.get(promptId)!, at });
    return written;
  }

  /** Records the decision unless its prompt is already recorded; answers whether it was new. */
  record(decision: Decision, context: PromptContext, decidedAt: number): boolean {
    const result = this.prepare(
      `INSERT OR IGNORE INTO survey_prompts (prompt_id, survey_id, version, person_id, trigger, decision, detail, send_at,
         expires_at, decided_at, triggered_at, session_id, journey_id, device_id, trigger_rule, device_type, path, collectives,
         stratum, community)
       VALUES (@promptId, @surveyId, @version, @personId, @trigger, @decision, @detail, @sendAt, @expiresAt, @decidedAt,
         @triggeredAt, @sessionId, @journeyId, @deviceId, @rule, @deviceType, @path, @collectives, @stratum, @community)`,
    ).run({
      promptId: decision.promptId,
      surveyId: decision.surveyId,
      version: decision.surveyVersion,
      personId: decision.personId,
      trigger: decision.trigger,
      decision: decision.decision,
      detail: decision.detail,
      sendAt: decision.sendAt,
      expiresAt: decision.expiresAt,
      decidedAt,
      ...context,
      collectives: JSON.stringify(context.collectives),
    });
    return this.changed(result.changes === 1, 'decided', decision.promptId, decidedAt);
  }

  /**
   * Whether the survey already decided a prompt for the person on the rule about this use: triggered within
   * [from, to], on the device if one is given. A re-derived result under a new id is the same use, never asked twice.
   */
  askedAbout(surveyId: string, personId: string, rule: string, use: { deviceId: string | null; from: number; to: number }): boolean {
    return (
      this.prepare<[string, string, string, number, number, string | null, string | null], { n: number }>(
        `SELECT COUNT(*) AS n FROM survey_prompts WHERE survey_id = ? AND person_id = ? AND trigger_rule = ?
           AND triggered_at BETWEEN ? AND ? AND (? IS NULL OR device_id = ?)`,
      ).get(surveyId, personId, rule, use.from, use.to, use.deviceId, use.deviceId)!.n > 0
    );
  }

  /** Links to the session the prompts it holds — triggered within it on its device — whatever session they followed before. */
  relinkSession(session: { id: string; deviceId: string; start: number; end: number }): void {
    this.prepare('UPDATE survey_prompts SET session_id = ? WHERE device_id = ? AND triggered_at BETWEEN ? AND ? AND session_id IS NOT ?').run(
      session.id,
      session.deviceId,
      session.start,
      session.end,
      session.id,
    );
  }

  /** Links to the person's journey the person's prompts triggered within it (a person's journeys never overlap). */
  relinkJourney(journey: { id: string; personId: string; start: number; end: number }): void {
    this.prepare('UPDATE survey_prompts SET journey_id = ? WHERE person_id = ? AND triggered_at BETWEEN ? AND ? AND journey_id IS NOT ?').run(
      journey.id,
      journey.personId,
      journey.start,
      journey.end,
      journey.id,
    );
  }

  get(promptId: string): StoredPrompt | null {
    const row = this.prepare<[string], Row>('SELECT * FROM survey_prompts WHERE prompt_id = ?').get(promptId);
    return row ? promptOf(row) : null;
  }

  /** The person's decisions of every survey due in [from, to), as the decision engine reads them. */
  history(personId: string, from: number, to: number): PromptHistoryEntry[] {
    return this.prepare<[string, number, number], Row>(
      'SELECT * FROM survey_prompts WHERE person_id = ? AND send_at >= ? AND send_at < ? ORDER BY send_at, prompt_id',
    )
      .all(personId, from, to)
      .map((row) => ({
        surveyId: row.survey_id,
        promptId: row.prompt_id,
        sentAt: row.send_at,
        decision: row.decision,
        ...(row.answered_at === null ? {} : { answeredAt: row.answered_at }),
        ...(row.dismissed_at === null ? {} : { dismissedAt: row.dismissed_at }),
      }));
  }

  /** The person's prompts of every survey triggered within [from, to] and answered or dismissed, in trigger order. */
  replied(personId: string, from: number, to: number): StoredPrompt[] {
    return this.prepare<[string, number, number], Row>(
      `SELECT * FROM survey_prompts WHERE person_id = ? AND triggered_at BETWEEN ? AND ?
         AND (answered_at IS NOT NULL OR dismissed_at IS NOT NULL) ORDER BY triggered_at, prompt_id`,
    )
      .all(personId, from, to)
      .map(promptOf);
  }

  /** The people who answered a prompt of the survey by `at`. */
  respondents(surveyId: string, at: number): Set<string> {
    const rows = this.prepare<[string, number], { person_id: string }>(
      'SELECT DISTINCT person_id FROM survey_prompts WHERE survey_id = ? AND answered_at <= ?',
    ).all(surveyId, at);
    return new Set(rows.map((row) => row.person_id));
  }

  /** How many of the survey's prompts were answered by `at`. */
  answers(surveyId: string, at: number): number {
    return this.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM survey_prompts WHERE survey_id = ? AND answered_at <= ?').get(surveyId, at)!
      .n;
  }

  /**
   * Prompts sent and not yet delivered, due by `at` and not expired: what the delivery sends (again, after a crash),
   * a page at a time after `after`, so that prompts that cannot be delivered yet never hold the others back.
   */
  undelivered(at: number, limit: number, after: { sendAt: number; promptId: string } = { sendAt: Number.NEGATIVE_INFINITY, promptId: '' }): StoredPrompt[] {
    return this.prepare<[number, number, number, number, string, number], Row>(
      `SELECT * FROM survey_prompts WHERE decision = 'sent' AND delivered_at IS NULL AND send_at <= ? AND expires_at > ?
         AND (send_at > ? OR (send_at = ? AND prompt_id > ?))
       ORDER BY send_at, prompt_id LIMIT ?`,
    )
      .all(at, at, after.sendAt, after.sendAt, after.promptId, limit)
      .map(promptOf);
  }

  /** Delivered prompts whose retained messages are to be cleared by `at`: answered, dismissed or expired, not cleared yet. */
  toClear(at: number, limit: number): StoredPrompt[] {
    return this.prepare<[number, number], Row>(
      `SELECT * FROM survey_prompts WHERE delivered_at IS NOT NULL AND cleared_at IS NULL
         AND (answered_at IS NOT NULL OR dismissed_at IS NOT NULL OR expires_at <= ?)
       ORDER BY expires_at, prompt_id LIMIT ?`,
    )
      .all(at, limit)
      .map(promptOf);
  }

  markCleared(promptId: string, at: number): void {
    this.prepare('UPDATE survey_prompts SET cleared_at = ? WHERE prompt_id = ? AND cleared_at IS NULL').run(at, promptId);
  }

  markDelivered(promptId: string, at: number): void {
    this.prepare('UPDATE survey_prompts SET delivered_at = ? WHERE prompt_id = ? AND delivered_at IS NULL').run(at, promptId);
  }

  markShown(promptId: string, at: number): void {
    this.changed(
      this.prepare('UPDATE survey_prompts SET shown_at = ? WHERE prompt_id = ? AND shown_at IS NULL').run(at, promptId).changes === 1,
      'shown',
      promptId,
      at,
    );
  }

  /** Records the answer if the prompt has neither answer nor dismissal yet; answers whether it was recorded. */
  answer(promptId: string, answer: Answer, at: number): boolean {
    const written =
      this.prepare('UPDATE survey_prompts SET answered_at = ?, answer = ? WHERE prompt_id = ? AND answered_at IS NULL AND dismissed_at IS NULL').run(
        at,
        JSON.stringify(answer),
        promptId,
      ).changes === 1;
    return this.changed(written, 'answered', promptId, at);
  }

  /** Records the dismissal if the prompt has neither answer nor dismissal yet; answers whether it was recorded. */
  dismiss(promptId: string, at: number): boolean {
    const written =
      this.prepare('UPDATE survey_prompts SET dismissed_at = ? WHERE prompt_id = ? AND answered_at IS NULL AND dismissed_at IS NULL').run(at, promptId)
        .changes === 1;
    return this.changed(written, 'dismissed', promptId, at);
  }

  /** Every decision of the survey due in [from, to), and its answers, as results read them. */
  forResults(surveyId: string, from: number, to: number): { prompts: SurveyPrompt[]; answers: SurveyAnswer[] } {
    const rows = this.prepare<[string, number, number], Row>(
      'SELECT * FROM survey_prompts WHERE survey_id = ? AND send_at >= ? AND send_at < ? ORDER BY send_at, prompt_id',
    ).all(surveyId, from, to);
    return {
      prompts: rows.map((row) => ({
        id: row.prompt_id,
        personId: row.person_id,
        decision: row.decision,
        sentAt: row.send_at,
        ...(row.shown_at === null ? {} : { shownAt: row.shown_at }),
        ...(row.answered_at === null ? {} : { answeredAt: row.answered_at }),
        ...(row.dismissed_at === null ? {} : { dismissedAt: row.dismissed_at }),
        deviceType: row.device_type,
        path: row.path,
        stratum: row.stratum,
        community: row.community,
      })),
      // Stored only once validated: read back as written.
      answers: rows.flatMap((row) => (row.answer === null ? [] : [{ promptId: row.prompt_id, values: (JSON.parse(row.answer) as Answer).values }])),
    };
  }
}

function promptOf(row: Row): StoredPrompt {
  return {
    promptId: row.prompt_id,
    surveyId: row.survey_id,
    version: row.version,
    personId: row.person_id,
    trigger: row.trigger,
    decision: row.decision,
    detail: row.detail,
    sendAt: row.send_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    triggeredAt: row.triggered_at,
    sessionId: row.session_id,
    journeyId: row.journey_id,
    deviceId: row.device_id,
    rule: row.trigger_rule,
    deviceType: row.device_type,
    path: row.path,
    collectives: JSON.parse(row.collectives) as string[],
    stratum: row.stratum,
    community: row.community,
    deliveredAt: row.delivered_at,
    shownAt: row.shown_at,
    answeredAt: row.answered_at,
    dismissedAt: row.dismissed_at,
    // Stored only once validated: read back as written.
    answer: row.answer === null ? null : (JSON.parse(row.answer) as Answer),
  };
}
