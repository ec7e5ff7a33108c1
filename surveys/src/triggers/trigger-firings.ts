import type { FunnelStep, ServedJourney, ServedSession, Survey, SurveyTrigger } from '@parcours/contracts';
import type { DerivedResult, DeviceEvent } from './trigger-inbox.js';

/**
 * Whether the individual reached step `step` of the declared funnel `funnel` at `at` with `what` they did then
 * (a session's start on a device type, an event of a type), as the funnel routes follow an entry.
 */
export type FunnelStepReached = (reach: { funnel: string; step: number; individualId: string; what: FunnelStep; at: number }) => boolean;

/**
 * The use a firing is about, as a re-derived result may show it under another id (late data moving a session's
 * start, journeys merging): a prompt of the same survey, person and rule triggered within [from, to] (on the device,
 * if given) asked about this use already.
 */
export interface FiringUse {
  deviceId: string | null;
  from: number;
  to: number;
}

/** A trigger of a survey that a derived result fired, for one person. */
export interface Firing {
  /**
   * Keys the prompt with the survey and the person: `session:{id}`, `journey:{id}:step:{n}`, `journey:{id}:closed`,
   * `funnel:{name}:step:{n}@{reached at}`, `event:{deviceId}:{seq}`.
   */
  key: string;
  at: number;
  personId: string;
  sessionId: string | null;
  journeyId: string | null;
  deviceType: string | null;
  path: string | null;
  /** The device of the session or event it follows; null for a journey's close. */
  deviceId: string | null;
  /** The trigger without the result (`session_closed`, `journey_step:2`, `transition:a>b`, …): what `use` is matched for. */
  rule: string;
  /** The use it is about; null when the key alone names it for good (a device event and its sequence number). */
  use: FiringUse | null;
}

type Attributed = Pick<ServedSession, 'subjectId' | 'subjectKind' | 'actor'>;

/** The individual a session or an event is about: the actor it reported, else the individual its device was assigned to. */
export function sessionPerson(session: Attributed): string | null {
  return session.actor ?? (session.subjectKind === 'individual' ? session.subjectId : null);
}

/** The individuals a funnel counted by individual counts a session or an event for: its device's individual and its actor. */
function countedFor(what: Attributed): string[] {
  const owner = what.subjectKind === 'individual' ? what.subjectId : null;
  return [...new Set([owner, what.actor].filter((id) => id !== null))];
}

/** The survey's triggers that the result fires, once per key (two triggers of the survey firing on one step ask once). */
export function firings(survey: Survey, result: DerivedResult, funnelStepReached: FunnelStepReached): Firing[] {
  const fired = new Map<string, Firing>();
  for (const trigger of survey.triggers)
    for (const firing of triggerFirings(trigger, result, funnelStepReached))
      if (!fired.has(`${firing.personId}\n${firing.key}`)) fired.set(`${firing.personId}\n${firing.key}`, firing);
  return [...fired.values()];
}

function triggerFirings(trigger: SurveyTrigger, result: DerivedResult, funnelStepReached: FunnelStepReached): Firing[] {
  switch (result.kind) {
    case 'session':
      return trigger.on === 'funnel_step' ? sessionFunnelFirings(trigger, result.session, funnelStepReached) : sessionFirings(trigger, result.session);
    case 'journey':
      return journeyFirings(trigger, result.journey);
    case 'event':
      return eventFirings(trigger, result.event, funnelStepReached);
  }
}

type FunnelTrigger = Extract<SurveyTrigger, { on: 'funnel_step' }>;

const funnelKey = (trigger: FunnelTrigger, at: number) => `funnel:${trigger.funnel}:step:${trigger.step}@${at}`;
const funnelRule = (trigger: FunnelTrigger) => `funnel:${trigger.funnel}:step:${trigger.step}`;

/** A firing at a session's end, about that session. */
const afterSession = (session: ServedSession, personId: string, key: string, rule: string): Firing => ({
  key,
  at: session.end,
  personId,
  sessionId: session.id,
  journeyId: null,
  deviceType: session.deviceType,
  path: null,
  deviceId: session.deviceId,
  rule,
  use: { deviceId: session.deviceId, from: session.start, to: session.end },
});

/** A session reaches a funnel's step at its start (as funnels count it); the prompt comes at its end, once it closed. */
function sessionFunnelFirings(trigger: FunnelTrigger, session: ServedSession, funnelStepReached: FunnelStepReached): Firing[] {
  const what = { deviceType: session.deviceType };
  return countedFor(session)
    .filter((individualId) => funnelStepReached({ funnel: trigger.funnel, step: trigger.step, individualId, what, at: session.start }))
    .map((personId) => afterSession(session, personId, funnelKey(trigger, session.start), funnelRule(trigger)));
}

function eventFirings(trigger: SurveyTrigger, event: DeviceEvent, funnelStepReached: FunnelStepReached): Firing[] {
  const firing = (personId: string, key: string, rule: string): Firing => ({
    key,
    at: event.ts,
    personId,
    sessionId: null,
    journeyId: null,
    deviceType: event.deviceType,
    path: null,
    deviceId: event.deviceId,
    rule,
    use: null,
  });
  if (trigger.on === 'event') {
    const personId = sessionPerson(event);
    return trigger.eventType === event.type && personId !== null ? [firing(personId, `event:${event.deviceId}:${event.seq}`, 'event')] : [];
  }
  if (trigger.on !== 'funnel_step') return [];
  const what = { eventType: event.type };
  return countedFor(event)
    .filter((individualId) => funnelStepReached({ funnel: trigger.funnel, step: trigger.step, individualId, what, at: event.ts }))
    .map((personId) => firing(personId, funnelKey(trigger, event.ts), funnelRule(trigger)));
}

function sessionFirings(trigger: SurveyTrigger, session: ServedSession): Firing[] {
  const personId = sessionPerson(session);
  if (trigger.on !== 'session_closed' || personId === null) return [];
  if (trigger.deviceType !== undefined && session.deviceType !== trigger.deviceType) return [];
  if (trigger.minDuration !== undefined && session.end - session.start < trigger.minDuration) return [];
  if (trigger.actorKnown && session.actor === null) return [];
  return [afterSession(session, personId, `session:${session.id}`, 'session_closed')];
}

interface Step {
  n: number;
  sessionId: string;
  deviceId: string;
  deviceType: string;
  start: number;
}

/** A journey's steps: the device types of its path beside its sessions' ids (`{deviceId}@{start}`). */
function stepsOf(journey: ServedJourney): Step[] {
  const types = journey.path.split('>');
  return journey.sessions.map((sessionId, i) => ({
    n: i + 1,
    sessionId,
    deviceId: sessionId.slice(0, sessionId.lastIndexOf('@')),
    deviceType: types[i]!,
    start: Number(sessionId.slice(sessionId.lastIndexOf('@') + 1)),
  }));
}

/** A step's session, from its start to the device's next session in the journey (its end is not in the journey). */
function stepUse(steps: readonly Step[], step: Step, journey: ServedJourney): FiringUse {
  const next = steps.find((other) => other.n > step.n && other.deviceId === step.deviceId);
  return { deviceId: step.deviceId, from: step.start, to: next ? next.start - 1 : journey.end };
}

function journeyFirings(trigger: SurveyTrigger, journey: ServedJourney): Firing[] {
  if (journey.subjectKind !== 'individual') return [];
  const personId = journey.subjectId;
  const steps = stepsOf(journey);
  const wholeJourney: FiringUse = { deviceId: null, from: journey.start, to: journey.end };
  // A step's trigger fires at the step's start: the journey is announced once closed, its sessions' ends are not in it.
  const atStep = (step: Step, rule: string, use: FiringUse): Firing => ({
    key: `journey:${journey.id}:step:${step.n}`,
    at: step.start,
    personId,
    sessionId: step.sessionId,
    journeyId: journey.id,
    deviceType: step.deviceType,
    path: journey.path,
    deviceId: step.deviceId,
    rule,
    use,
  });
  switch (trigger.on) {
    case 'journey_step': {
      const step = steps[trigger.step - 1];
      // The n-th step of this journey, whichever session it is once re-derived: one prompt per journey.
      return step && (trigger.deviceType === undefined || step.deviceType === trigger.deviceType)
        ? [atStep(step, `journey_step:${trigger.step}`, wholeJourney)]
        : [];
    }
    case 'transition':
      return steps
        .filter((step, i) => i > 0 && steps[i - 1]!.deviceType === trigger.fromType && step.deviceType === trigger.toType)
        .map((step) => atStep(step, `transition:${trigger.fromType}>${trigger.toType}`, stepUse(steps, step, journey)));
    case 'journey_closed':
      if (trigger.stoppedBefore !== undefined && steps.some((step) => step.deviceType === trigger.stoppedBefore)) return [];
      return [
        {
          key: `journey:${journey.id}:closed`,
          at: journey.end,
          personId,
          sessionId: null,
          journeyId: journey.id,
          deviceType: null,
          path: journey.path,
          deviceId: null,
          rule: 'journey_closed',
          use: wholeJourney,
        },
      ];
    default:
      return [];
  }
}
