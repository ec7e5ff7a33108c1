import { surveySchema } from '@parcours/contracts';
import {
  type AgeBand,
  ageBands,
  answerBehaviourSchema,
  baseNpsTruth,
  customerId,
  generateCustomerBase,
  generateUsage,
  type SimulatedPerson,
  sessionsOf,
  type UsageSession,
} from '@parcours/firmware-sim';
import { derivedSeed, seededRandom } from '@parcours/sampling';

/**
 * A planted world whose NPS a panel must recover: a customer base of 2,000 whose use of a coffee machine and a
 * water heater depends steeply on age (the young use them most), an NPS that grows with a person's sessions of
 * the week before they are asked, and answers that depend on age (the young answer least) and on the time of day
 * (less in the evening). The respondents of a panel drawn unevenly by age band are far older than the base, and
 * so is their raw NPS far below the base's. Shared by the check through the product and the check of coverage
 * over many draws, so that both hold the same truth.
 */

const day = 86_400_000;
const week = 7 * day;
export const startsAt = Date.UTC(2026, 2, 2);
export const seed = 13;
export const questionId = 'recommend';

export const surveyId = 'coffee-nps';
/** The survey as posted (its start is given at posting) and as the results read it. */
export const surveyDefinition = {
  name: 'Would you recommend it?',
  questions: [{ kind: 'nps', id: questionId, text: 'Would you recommend this coffee machine to a friend?' }],
  audience: { kind: 'panel', panelId: 'nps-panel' },
  triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
  expiresAfter: '30m',
};
export const survey = surveySchema.parse(surveyDefinition);

/** Usage by age much steeper than the simulator's default, everyone staying: the young use the machine most. */
const propensities = {
  ageEffect: [2, 1.3, 0.5, -0.5, -1.5, -2.5],
  personEffect: 0.5,
  churn: [0.05, 0.05, 0.05, 0.05, 0.05, 0.05],
  extraDay: [0.5, 0.2, -0.2, -0.8, -1.4, -2],
};

/** The young answer least, everyone less in the evening; a tenth of answers come late, a third of the others dismiss. */
export const behaviour = answerBehaviourSchema.parse({
  seed,
  answerByAgeBand: [0.3, 0.35, 0.45, 0.6, 0.75, 0.85],
  eveningFactor: 0.4,
  lateShare: 0.1,
  dismissShare: 0.3,
  nps: { intercept: 5, perSession: 1, noise: 1.5 },
});

/** The panel by age band, drawn unevenly: about a quarter of the base's 55 and over, one in seven of the 25 to 44. */
export const allocation: Record<AgeBand, number> = { '18-24': 50, '25-34': 45, '35-44': 45, '45-54': 55, '55-64': 80, '65+': 120 };

/** A customer as the planted behaviour sees them when asked right after a use. */
export interface PlantedPerson extends SimulatedPerson {
  index: number;
  householdSize: number;
  /** Asked late in their evening (their answer chance lowered), else in the day. */
  evening: boolean;
  /** Their sessions of the usage's last week, the week before they are asked. */
  weekBefore: UsageSession[];
}

export function plantedWorld() {
  const base = generateCustomerBase({ size: 2_000, seed, startsAt });
  const from = startsAt + week;
  const usage = generateUsage(base, { seed, from, weeks: 3, propensities });
  const lastWeek = from + 2 * week;
  const evenings = seededRandom(derivedSeed(seed, 'evening'));
  const { customers } = base;
  const people: PlantedPerson[] = Array.from({ length: customers.count }, (_, i) => {
    const weekBefore = sessionsOf(usage, i).filter((s) => s.start >= lastWeek);
    return {
      index: i,
      id: customerId(customers, i),
      ageBand: ageBands[customers.ageBand[i]!]!,
      householdSize: customers.householdSize[i]!,
      // The week before the prompt is the usage's last week; the session that prompts them counts too.
      sessionsBefore: weekBefore.length + 1,
      evening: evenings() < 0.25,
      weekBefore,
    };
  });
  // What the panel's weighted NPS estimates: every customer asked right after a use, at their usage of the week before.
  const truth = baseNpsTruth(behaviour, people, questionId);
  return { base, people, truth, weekEnds: lastWeek + week };
}

/** Counts of the base by age band and by household size: the margins a scheme rakes to (`from: universe`). */
export function baseMargins(people: readonly PlantedPerson[]) {
  const counted = (variable: string, level: (p: PlantedPerson) => string) => {
    const totals = new Map<string, number>();
    for (const p of people) totals.set(level(p), (totals.get(level(p)) ?? 0) + 1);
    return { variables: [variable], cells: [...totals].map(([value, total]) => ({ levels: { [variable]: value }, total })) };
  };
  return [counted('age_band', (p) => p.ageBand), counted('household_size', (p) => String(p.householdSize))];
}
