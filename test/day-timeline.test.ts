import type { ServedJourney, ServedSession } from '@parcours/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDay } from '../src/commands/day-date.js';
import { formatDay } from '../src/commands/day-timeline.js';

const at = (hhmm: string) => Date.parse(`2025-06-02T${hhmm}:00Z`);

function session(id: string, start: string, end: string, more: Partial<ServedSession> = {}): ServedSession {
  return {
    id,
    deviceId: 'alice-phone',
    deviceType: 'phone',
    subjectId: 'ind-alice',
    subjectKind: 'individual',
    subjectType: 'person',
    actor: null,
    inferredActor: null,
    inferenceConfidence: null,
    start: at(start),
    end: at(end),
    durationS: (at(end) - at(start)) / 1000,
    events: 2,
    closedBy: 'stop',
    status: 'closed',
    closesBy: null,
    collectives: [],
    ...more,
  };
}

describe('formatDay', () => {
  const saved = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'UTC';
  });
  afterEach(() => {
    process.env.TZ = saved;
  });

  it('marks an open session and journey with when they close at the latest, and names the reported actor', () => {
    const coffee = session('c@1', '07:00', '07:05', { deviceId: 'martin-coffee', deviceType: 'coffee_machine', actor: 'ind-alice' });
    const car = session('car@1', '07:30', '07:50', { deviceId: 'car-1', deviceType: 'car', status: 'open', closedBy: null, closesBy: at('08:20') });
    const journey: ServedJourney = {
      id: 'ind-alice@1',
      subjectId: 'ind-alice',
      subjectKind: 'individual',
      subjectType: 'person',
      start: coffee.start,
      end: car.end,
      durationS: 3000,
      steps: 2,
      path: 'coffee_machine>car',
      sessions: [coffee.id, car.id],
      status: 'open',
      closesBy: at('08:50'),
    };
    const text = formatDay({
      subjectId: 'ind-alice',
      subject: null,
      day: parseDay('2025-06-02', new Date()),
      sessions: [car, coffee],
      journeys: [journey],
      timeZone: 'UTC',
    });
    expect(text.split('\n')).toEqual([
      'ind-alice: 2025-06-02, times in UTC',
      '',
      '07:00–07:50  journey coffee_machine>car (2 steps)  OPEN',
      '  07:00–07:05  coffee_machine  martin-coffee  by ind-alice',
      '  07:30–07:50  car             car-1          OPEN, closes by 08:20',
      '',
      '1 journey, 2 sessions (1 open)',
      '',
    ]);
  });
});
