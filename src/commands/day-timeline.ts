import type { ServedJourney, ServedSession, Subject } from '@parcours/contracts';
import type { LocalDay } from './day-date.js';

export interface DayOfSubject {
  subjectId: string;
  /** Null when the key may not read the registry (an integrator's). */
  subject: Subject | null;
  day: LocalDay;
  /** The subject's sessions starting in the day, and those of its journeys starting in it. */
  sessions: readonly ServedSession[];
  /** The subject's journeys starting in the day. */
  journeys: readonly ServedJourney[];
  timeZone: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `07:05`, or `06-03 00:10` outside the day shown. */
function clock(ms: number, day: LocalDay): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return ms >= day.from && ms < day.to ? time : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function who(session: ServedSession): string {
  if (session.actor) return `by ${session.actor}`;
  if (session.inferredActor) return `probably ${session.inferredActor} (${Math.round(100 * (session.inferenceConfidence ?? 0))}%, inferred)`;
  return '';
}

/** Column widths, so that the devices line up. */
interface Widths {
  type: number;
  id: number;
}

function sessionLine(session: ServedSession, day: LocalDay, deviceWidth: Widths): string {
  const span = `${clock(session.start, day)}–${clock(session.end, day)}`;
  const open = session.status === 'open' ? `OPEN, closes by ${clock(session.closesBy ?? session.end, day)}` : '';
  return [span, session.deviceType.padEnd(deviceWidth.type), session.deviceId.padEnd(deviceWidth.id), who(session), open]
    .filter((part) => part !== '')
    .join('  ')
    .trimEnd();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A subject's day as a timeline in local time: its journeys with their steps, and the sessions that are
 * part of none (an ambient device's, say), in start order; open ones marked with when they close at the latest.
 */
export function formatDay(view: DayOfSubject): string {
  const { day, subject } = view;
  const byId = new Map(view.sessions.map((s) => [s.id, s]));
  const inJourneys = new Set(view.journeys.flatMap((j) => j.sessions));
  const loose = view.sessions.filter((s) => !inJourneys.has(s.id) && s.start >= day.from && s.start < day.to);
  const shown = [...loose, ...view.journeys.flatMap((j) => j.sessions.flatMap((id) => byId.get(id) ?? []))];
  const deviceWidth: Widths = { type: Math.max(0, ...shown.map((s) => s.deviceType.length)), id: Math.max(0, ...shown.map((s) => s.deviceId.length)) };
  const name = subject ? `${subject.name} (${subject.id}, ${subject.type})` : view.subjectId;
  const lines = [`${name}: ${day.date}, times in ${view.timeZone}`, ''];
  const entries = [
    ...view.journeys.map((journey) => ({ start: journey.start, lines: journeyLines(journey, byId, day, deviceWidth) })),
    ...loose.map((session) => ({ start: session.start, lines: [sessionLine(session, day, deviceWidth)] })),
  ].sort((a, b) => a.start - b.start);
  if (entries.length === 0) lines.push('no sessions this day');
  for (const entry of entries) lines.push(...entry.lines);
  const open = shown.filter((s) => s.status === 'open').length;
  lines.push('', `${plural(view.journeys.length, 'journey')}, ${plural(shown.length, 'session')}${open > 0 ? ` (${open} open)` : ''}`);
  return `${lines.join('\n')}\n`;
}

function journeyLines(journey: ServedJourney, byId: ReadonlyMap<string, ServedSession>, day: LocalDay, deviceWidth: Widths): string[] {
  const open = journey.status === 'open' ? '  OPEN' : '';
  const head = `${clock(journey.start, day)}–${clock(journey.end, day)}  journey ${journey.path} (${plural(journey.steps, 'step')})${open}`;
  return [head, ...journey.sessions.map((id) => `  ${byId.has(id) ? sessionLine(byId.get(id)!, day, deviceWidth) : id}`)];
}
