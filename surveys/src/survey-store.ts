import type { Survey, SurveyCloseReason, SurveyState } from '@parcours/contracts';
import { type Database, statementCache } from '@parcours/gateway';

/** A survey as one version holds it: as parsed (instants and durations in ms), its start resolved. */
export type SurveyDefinition = Survey & { startsAt: number };

/** One version of a survey. */
export interface StoredSurveyVersion {
  id: string;
  version: number;
  survey: SurveyDefinition;
  createdAt: number;
}

/** Whether a survey may still prompt, and when and why it stopped. */
export interface SurveyStatus {
  state: SurveyState;
  closed: { at: number; reason: SurveyCloseReason } | null;
}

/** A version of a survey with the survey's state, which its versions share. */
export type StoredSurvey = StoredSurveyVersion & SurveyStatus;

interface VersionRow {
  survey_id: string;
  version: number;
  definition: string;
  created_at: number;
}
interface SurveyRow extends VersionRow {
  state: SurveyState;
  closed_at: number | null;
  closed_reason: SurveyCloseReason | null;
}

const versionOf = (row: VersionRow): StoredSurveyVersion => ({
  id: row.survey_id,
  version: row.version,
  // Written by `create` or `addVersion` from a parsed survey: read back as it was.
  survey: JSON.parse(row.definition) as SurveyDefinition,
  createdAt: row.created_at,
});

const surveyOf = (row: SurveyRow): StoredSurvey => ({
  ...versionOf(row),
  state: row.state,
  closed: row.state === 'closed' ? { at: row.closed_at!, reason: row.closed_reason! } : null,
});

const latestJoin = `FROM surveys s JOIN survey_versions v ON v.survey_id = s.survey_id AND v.version = s.latest_version`;
const surveyColumns = 'v.survey_id, v.version, v.definition, v.created_at, s.state, s.closed_at, s.closed_reason';

/**
 * Surveys in the embedded store: every version kept as it was made, and one row per survey naming its latest
 * version and its state. A new version opens the survey again.
 */
export class SurveyStore {
  private readonly prepare: Database['prepare'];

  constructor(private readonly db: Database) {
    this.prepare = statementCache(db);
  }

  /** Writes a new survey as its version 1, open; false (and nothing written) when the id is taken. */
  create(id: string, survey: SurveyDefinition, now: number): boolean {
    return this.db.transaction(() => {
      const inserted = this.prepare("INSERT OR IGNORE INTO surveys (survey_id, latest_version, state) VALUES (?, 1, 'open')").run(id).changes > 0;
      if (inserted) this.insertVersion(id, 1, survey, now);
      return inserted;
    })();
  }

  /** Writes the survey's next version and opens it; null (and nothing written) when there is no such survey. */
  addVersion(id: string, survey: SurveyDefinition, now: number): number | null {
    return this.db.transaction(() => {
      const latest = this.latestVersion(id);
      if (latest === null) return null;
      this.prepare("UPDATE surveys SET latest_version = ?, state = 'open', closed_at = NULL, closed_reason = NULL WHERE survey_id = ?").run(latest + 1, id);
      this.insertVersion(id, latest + 1, survey, now);
      return latest + 1;
    })();
  }

  latestVersion(id: string): number | null {
    return this.prepare<[string], { latest_version: number }>('SELECT latest_version FROM surveys WHERE survey_id = ?').get(id)?.latest_version ?? null;
  }

  /** A version of the survey, the latest when none is named, with the survey's state; null when there is no such survey or version. */
  get(id: string, version?: number): StoredSurvey | null {
    const row = this.prepare<{ id: string; version: number | null }, SurveyRow>(
      `SELECT ${surveyColumns} FROM surveys s JOIN survey_versions v ON v.survey_id = s.survey_id AND v.version = COALESCE(@version, s.latest_version)
       WHERE s.survey_id = @id`,
    ).get({ id, version: version ?? null });
    return row ? surveyOf(row) : null;
  }

  /** Every version of the survey, oldest first. */
  versions(id: string): { version: number; createdAt: number }[] {
    return this.prepare<[string], { version: number; created_at: number }>(
      'SELECT version, created_at FROM survey_versions WHERE survey_id = ? ORDER BY version',
    )
      .all(id)
      .map((row) => ({ version: row.version, createdAt: row.created_at }));
  }

  /** A page of the surveys at their latest version, by id, those in one state only when it is named; and how many there are. */
  list(page: { state?: SurveyState | undefined; limit: number; offset: number }): { items: StoredSurvey[]; total: number } {
    const state = page.state ?? null;
    const items = this.prepare<{ state: SurveyState | null; limit: number; offset: number }, SurveyRow>(
      `SELECT ${surveyColumns} ${latestJoin} WHERE @state IS NULL OR s.state = @state ORDER BY s.survey_id LIMIT @limit OFFSET @offset`,
    )
      .all({ state, limit: page.limit, offset: page.offset })
      .map(surveyOf);
    const { total } = this.prepare<{ state: SurveyState | null }, { total: number }>(
      'SELECT COUNT(*) AS total FROM surveys WHERE @state IS NULL OR state = @state',
    ).get({ state })!;
    return { items, total };
  }

  /** The open surveys at their latest version whose window holds `at` (startsAt ≤ at < endsAt), by id. */
  active(at: number): StoredSurvey[] {
    return this.prepare<{ at: number }, SurveyRow>(
      `SELECT ${surveyColumns} ${latestJoin}
       WHERE s.state = 'open' AND v.starts_at <= @at AND (v.ends_at IS NULL OR @at < v.ends_at) ORDER BY s.survey_id`,
    )
      .all({ at })
      .map(surveyOf);
  }

  /** The open surveys whose latest version ended at or before `at`. */
  ended(at: number): { id: string; version: number }[] {
    return this.prepare<[number], { survey_id: string; version: number }>(
      `SELECT v.survey_id, v.version ${latestJoin} WHERE s.state = 'open' AND v.ends_at <= ? ORDER BY s.survey_id`,
    )
      .all(at)
      .map((row) => ({ id: row.survey_id, version: row.version }));
  }

  /**
   * Closes the survey if it is open (and, when a version is named, still at that version: a close decided on an
   * earlier version does not close a newer one); answers whether it did.
   */
  close(id: string, closing: { at: number; reason: SurveyCloseReason; version?: number | undefined }): boolean {
    return (
      this.prepare(
        `UPDATE surveys SET state = 'closed', closed_at = @at, closed_reason = @reason
         WHERE survey_id = @id AND state = 'open' AND (@version IS NULL OR latest_version = @version)`,
      ).run({ id, at: closing.at, reason: closing.reason, version: closing.version ?? null }).changes > 0
    );
  }

  private insertVersion(id: string, version: number, survey: SurveyDefinition, now: number): void {
    this.prepare('INSERT INTO survey_versions (survey_id, version, definition, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      version,
      JSON.stringify(survey),
      survey.startsAt,
      survey.endsAt ?? null,
      now,
    );
  }
}
