import { servedJourneySchema, servedSessionSchema, type ServedJourney, type ServedSession, type SubjectKind } from '@parcours/contracts';
import { type Database, statementCache } from '@parcours/gateway';

/** A device event of the log, as attributed when it came: whose device, and the individual it named. */
export interface DeviceEvent {
  deviceId: string;
  /** The device's sequence number: with its id, names the event. */
  seq: number;
  deviceType: string;
  type: string;
  ts: number;
  subjectId: string | null;
  subjectKind: SubjectKind | null;
  actor: string | null;
}

/**
 * What triggers are matched against: a derived result as announced (a closed session, or a closed journey with
 * its steps), or a device event as the log holds it.
 */
export type DerivedResult = { kind: 'session'; session: ServedSession } | { kind: 'journey'; journey: ServedJourney } | { kind: 'event'; event: DeviceEvent };

/** One announcement: where it went and what it said. */
export interface Announcement {
  topic: string;
  payload: string;
}

interface Row {
  id: number;
  kind: 'session' | 'journey';
  result: string;
}

/**
 * The derived results waiting to be matched against the surveys' triggers. Analytics tell it of their
 * announcements inside the transaction that commits the results (`add`), and the trigger job removes each
 * entry in the transaction that records its prompts: a crash between the two matches it again, which records
 * nothing new (prompts are keyed by survey, person and trigger).
 */
export class TriggerInbox {
  private readonly prepare: Database['prepare'];

  constructor(
    private readonly db: Database,
    private readonly baseTopic: string,
  ) {
    this.prepare = statementCache(db);
  }

  /** Keeps the closed sessions and journeys among announcements, once each (a session goes to its subject and its actor). */
  add(announcements: readonly Announcement[]): void {
    const seen = new Set<string>();
    const insert = this.prepare('INSERT INTO survey_trigger_inbox (kind, result) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const { topic, payload } of announcements) {
        const kind = resultKind(this.baseTopic, topic);
        if (kind === null) continue;
        const result = JSON.parse(payload) as { id: string; status?: string };
        if (result.status !== 'closed' || seen.has(`${kind}\n${result.id}`)) continue;
        seen.add(`${kind}\n${result.id}`);
        insert.run(kind, payload);
      }
    })();
  }

  /** The oldest entries, in the order they came. */
  peek(limit: number): { id: number; result: DerivedResult }[] {
    return this.prepare<[number], Row>('SELECT id, kind, result FROM survey_trigger_inbox ORDER BY id LIMIT ?')
      .all(limit)
      .map((row) => ({ id: row.id, result: decoded(row) }));
  }

  remove(id: number): void {
    this.prepare('DELETE FROM survey_trigger_inbox WHERE id = ?').run(id);
  }

  count(): number {
    return this.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM survey_trigger_inbox').get()!.n;
  }
}

/** `sessions` or `journeys` of `{base}/subjects/{id}/…`; null for removals and any other topic. */
function resultKind(base: string, topic: string): Row['kind'] | null {
  if (!topic.startsWith(`${base}/subjects/`)) return null;
  if (topic.endsWith('/sessions')) return 'session';
  if (topic.endsWith('/journeys')) return 'journey';
  return null;
}

function decoded(row: Row): DerivedResult {
  const json = JSON.parse(row.result) as unknown;
  return row.kind === 'session'
    ? { kind: 'session', session: servedSessionSchema.decode(json as never) }
    : { kind: 'journey', journey: servedJourneySchema.decode(json as never) };
}
