import type { ServedJourney, ServedSession, Survey, SurveyTrigger } from '@parcours/contracts';
import type { DerivedResult } from './trigger-inbox.js';

/** A trigger of a survey that a derived result fired, for one person. */
export interface Firing {
  /** Keys the prompt with the survey and the person: `session:{id}`, `journey:{id}:step:{n}`, `journey:{id}:closed`. */
  key: string;
  at: number;
  personId: string;
  sessionId: string | null;
  journeyId: string | null;
  deviceType: string | null;
  path: string | null;
}

/** The individual a session is about: the actor it reported, else the individual its device was assigned to. */
export function sessionPerson(session: ServedSession): string | null {
  return session.actor ?? (session.subjectKind === 'individual' ? session.subjectId : null);
}

/**
 * The survey's triggers that the result fires, once per key (two triggers of the survey firing on one step ask
 * once). `funnel_step` and `event` triggers are not read from these results: they never fire here.
 */
export function firings(survey: Survey, result: DerivedResult): Firing[] {
  const fired = new Map<string, Firing>();
  for (const trigger of survey.triggers)
    for (const firing of result.kind === 'session' ? sessionFirings(trigger, result.session) : journeyFirings(trigger, result.journey))
      if (!fired.has(firing.key)) fired.set(firing.key, firing);
  return [...fired.values()];
}

function sessionFirings(trigger: SurveyTrigger, session: ServedSession): Firing[] {
  const personId = sessionPerson(session);
  if (trigger.on !== 'session_closed' || personId === null) return [];
  if (trigger.deviceType !== undefined && session.deviceType !== trigger.deviceType) return [];
  if (trigger.minDuration !== undefined && session.end - session.start < trigger.minDuration) return [];
  if (trigger.actorKnown && session.actor === null) return [];
  return [{ key: `session:${session.id}`, at: session.end, personId, sessionId: session.id, journeyId: null, deviceType: session.deviceType, path: null }];
}

interface Step {
  n: number;
  sessionId: string;
  deviceType: string;
  start: number;
}

/** A journey's steps: the device types of its path beside its sessions' ids (`{deviceId}@{start}`). */
function stepsOf(journey: ServedJourney): Step[] {
  const types = journey.path.split('>');
  return journey.sessions.map((sessionId, i) => ({
    n: i + 1,
    sessionId,
    deviceType: types[i]!,
    start: Number(sessionId.slice(sessionId.lastIndexOf('@') + 1)),
  }));
}

function journeyFirings(trigger: SurveyTrigger, journey: ServedJourney): Firing[] {
  if (journey.subjectKind !== 'individual') return [];
  const personId = journey.subjectId;
  const steps = stepsOf(journey);
  // A step's trigger fires at the step's start: the journey is announced once closed, its sessions' ends are not in it.
  const atStep = (step: Step): Firing => ({
    key: `journey:${journey.id}:step:${step.n}`,
    at: step.start,
    personId,
    sessionId: step.sessionId,
    journeyId: journey.id,
    deviceType: step.deviceType,
    path: journey.path,
  });
  switch (trigger.on) {
    case 'journey_step': {
      const step = steps[trigger.step - 1];
      return step && (trigger.deviceType === undefined || step.deviceType === trigger.deviceType) ? [atStep(step)] : [];
    }
    case 'transition':
      return steps.filter((step, i) => i > 0 && steps[i - 1]!.deviceType === trigger.fromType && step.deviceType === trigger.toType).map(atStep);
    case 'journey_closed':
      if (trigger.stoppedBefore !== undefined && steps.some((step) => step.deviceType === trigger.stoppedBefore)) return [];
      return [{ key: `journey:${journey.id}:closed`, at: journey.end, personId, sessionId: null, journeyId: journey.id, deviceType: null, path: journey.path }];
    default:
      return [];
  }
}
