import { WeightedFigures } from '@parcours/analytics';
import { type AnswerValue, answerSchema, type SurveyResultsSection, surveyResultsSchema, surveySchema, type WeightedEstimate } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { type SurveyAnswer, type SurveyPrompt, surveyResults, validateAnswer } from '@parcours/surveys';
import { type Margin, rake } from '@parcours/weighting';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureRPackage } from '../tools/services/ensure-installed.js';
import { type Reference, weightedFiguresInR } from './weighted-figures-reference.js';

/**
 * Weighted survey results against R's survey package: a panel of 300 riders, drawn unevenly from three strata,
 * raked to a town's age bands and regions, is prompted after its rides; the young answer least, and some
 * answer twice. The weighted NPS (the mean of +100/0/−100 over each respondent's latest NPS answer), a choice's
 * weighted share and the response rate are checked against `svymean` and `svyciprop` on R's `subset` of the
 * same raked design to those who answered (or were sent a prompt), overall and within a device type, by
 * linearization and by JKn replicates (test/weighted-figures-reference.R).
 */
const random = seededRandom(3131);
const ageBands = ['18-34', '35-54', '55+'] as const;
const regions = ['north', 'south'] as const;
const pick = (weights: readonly number[]) => {
  let u = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
};

const survey = surveySchema.parse({
  name: 'After the ride',
  triggers: [{ on: 'session_closed' }],
  questions: [
    {
      kind: 'single',
      id: 'purpose',
      text: 'What was the ride for?',
      choices: ['work', 'errand', 'leisure'].map((id) => ({ id, label: id })),
      branches: [{ choices: ['errand'], goTo: 'end' }],
    },
    { kind: 'nps', id: 'nps', text: 'Would you recommend the service?', required: false },
  ],
});

// The town the margins count, and a panel over-representing the old and the north, in three strata.
const town = Array.from({ length: 20_000 }, () => ({ age: pick([4, 4, 3]), region: pick([3, 2]) }));
const strata = [
  { name: 'centre', size: 6000, n: 80 },
  { name: 'suburbs', size: 9000, n: 120 },
  { name: 'outskirts', size: 5000, n: 100 },
];
const members = strata.flatMap(({ name, size, n }, h) =>
  Array.from({ length: n }, (_, i) => ({
    id: `m${h}-${String(i).padStart(3, '0')}`,
    stratum: name,
    base: (size / n) * (0.7 + 0.6 * random()),
    age: pick([2, 3, 4]),
    region: pick([4, 2]),
  })),
);
const respondsBy = [0.35, 0.6, 0.8];

// Prompts: members sent none to three (some also sampled out or capped), and people outside the panel.
const prompts: SurveyPrompt[] = [];
const answers: SurveyAnswer[] = [];
const people = [...members, ...Array.from({ length: 30 }, (_, i) => ({ id: `outsider-${i}`, age: pick([1, 1, 1]), region: pick([1, 1]) }))];
for (const person of people) {
  const count = pick([1, 3, 3, 2]);
  for (let j = 0; j < count + 1; j++) {
    const id = `pr-${person.id}-${j}`;
    const sentAt = prompts.length * 1_000_000;
    const deviceType = random() < 0.6 ? 'e_bike' : 'scooter';
    if (j === count) {
      if (random() < 0.5) prompts.push({ id, personId: person.id, decision: random() < 0.5 ? 'sampled_out' : 'capped', sentAt, deviceType });
      continue;
    }
    if (random() >= respondsBy[person.age]!) {
      prompts.push({ id, personId: person.id, decision: 'sent', sentAt, deviceType, ...(random() < 0.5 ? { dismissedAt: sentAt + 60_000 } : {}) });
      continue;
    }
    // Answered some time later: a person's later prompt may be answered before an earlier one.
    prompts.push({
      id,
      personId: person.id,
      decision: 'sent',
      sentAt,
      shownAt: sentAt + 1,
      answeredAt: sentAt + 2 + Math.floor(random() * 2_500_000),
      deviceType,
    });
    const purpose = ['work', 'errand', 'leisure'][pick(person.age === 0 ? [5, 2, 3] : person.age === 1 ? [4, 3, 2] : [1, 3, 4])]!;
    const values: Record<string, AnswerValue> = { purpose };
    if (purpose !== 'errand' && random() < 0.85)
      values.nps = Math.max(0, Math.min(10, Math.round(5 + 1.5 * person.region + 1.2 * person.age + 4 * (random() - 0.5) + (purpose === 'leisure' ? 1 : 0))));
    answers.push({ promptId: id, values });
  }
}

const margins: Margin[] = [
  { variables: ['age_band'], cells: ageBands.map((level, a) => ({ levels: { age_band: level }, total: town.filter((t) => t.age === a).length })) },
  { variables: ['region'], cells: regions.map((level, r) => ({ levels: { region: level }, total: town.filter((t) => t.region === r).length })) },
];
const weightedFigures = (replicates?: 'JKn') =>
  new WeightedFigures({
    schemeId: 'riders',
    version: 1,
    at: Date.UTC(2026, 4, 1),
    ranAt: Date.UTC(2026, 4, 2),
    ids: members.map((m) => m.id),
    weighting: rake(
      {
        levels: { age_band: members.map((m) => ageBands[m.age]!), region: members.map((m) => regions[m.region]!) },
        baseWeights: members.map((m) => m.base),
        strata: members.map((m) => m.stratum),
      },
      margins,
      { maxit: 200, epsilon: 1e-12, ...(replicates ? { replicates } : {}) },
    ),
  });

/**
 * A member's values as the results define them, read here from the prompts and answers: sent a prompt,
 * answered one, and their latest answer (by when they answered) to each question; of the prompts on one
 * device type when given.
 */
function valuesOf(id: string, deviceType?: string): Record<string, number> {
  const mine = prompts.filter((p) => p.personId === id && p.decision === 'sent' && (!deviceType || p.deviceType === deviceType));
  const answered = mine.filter((p) => p.answeredAt !== undefined).sort((a, b) => a.answeredAt! - b.answeredAt!);
  const latest = (question: string) =>
    answered
      .map((p) => answers.find((a) => a.promptId === p.id)!.values[question])
      .filter((v) => v !== undefined)
      .at(-1);
  const nps = latest('nps') as number | undefined;
  const purpose = latest('purpose');
  return {
    sent: mine.length > 0 ? 1 : 0,
    responded: answered.length > 0 ? 1 : 0,
    answered_purpose: purpose === undefined ? 0 : 1,
    work: purpose === 'work' ? 1 : 0,
    answered_nps: nps === undefined ? 0 : 1,
    // +1 per promoter, −1 per detractor: their mean is the NPS as a share; the results give it in points.
    nps_code: nps === undefined ? 0 : nps >= 9 ? 1 : nps <= 6 ? -1 : 0,
  };
}
const columnsOf = (id: string) => {
  const all = valuesOf(id);
  const eBike = valuesOf(id, 'e_bike');
  return { ...all, ...Object.fromEntries(Object.entries(eBike).map(([k, v]) => [`${k}_e_bike`, v])) };
};

const figures = [
  { name: 'nps', kind: 'mean', value: 'nps_code', domain: 'answered_nps' },
  { name: 'work', kind: 'share', value: 'work', domain: 'answered_purpose' },
  { name: 'response', kind: 'share', value: 'responded', domain: 'sent' },
  { name: 'nps_e_bike', kind: 'mean', value: 'nps_code_e_bike', domain: 'answered_nps_e_bike' },
  { name: 'work_e_bike', kind: 'share', value: 'work_e_bike', domain: 'answered_purpose_e_bike' },
  { name: 'response_e_bike', kind: 'share', value: 'responded_e_bike', domain: 'sent_e_bike' },
] as const;

/** Runs R on the members, the town's margins and the figures; answers its weights and estimates. */
function reference(variance: 'linearization' | 'jackknife'): Reference {
  const cells = (variable: string) => margins.find((m) => m.variables[0] === variable)!.cells.map((c) => ({ level: c.levels[variable]!, total: c.total }));
  return weightedFiguresInR(variance, {
    members: members.map((m) => ({
      id: m.id,
      stratum: m.stratum,
      base: m.base,
      ageBand: ageBands[m.age]!,
      region: regions[m.region]!,
      values: columnsOf(m.id) as Record<string, number>,
    })),
    margins: { ageBand: cells('age_band'), region: cells('region') },
    figures,
  });
}

/** Estimates within 1e-9 relative, standard errors and interval ends within 1e-6 of R's, times `scale` (100 for the NPS in points). */
function expectClose(actual: WeightedEstimate | null | undefined, name: string, ref: Reference, scale = 1): void {
  const expected = ref.estimates.get(name)!;
  expect(actual, name).toBeTruthy();
  const { estimate, standardError, lower, upper } = actual!;
  expect(Math.abs(estimate - scale * expected.estimate), `${name} estimate ${estimate} against R's ${scale * expected.estimate}`).toBeLessThanOrEqual(
    1e-9 * Math.abs(scale * expected.estimate),
  );
  expect(Math.abs(standardError / (scale * expected.se) - 1), `${name} SE`).toBeLessThan(1e-6);
  expect(Math.abs(lower - scale * expected.lower), `${name} lower`).toBeLessThan(1e-6 * scale * (1 + Math.abs(expected.lower)));
  expect(Math.abs(upper - scale * expected.upper), `${name} upper`).toBeLessThan(1e-6 * scale * (1 + Math.abs(expected.upper)));
}

const npsOf = (section: SurveyResultsSection) =>
  section.questions.find((q) => q.questionId === 'nps') as Extract<SurveyResultsSection['questions'][number], { kind: 'nps' }>;
const purposeOf = (section: SurveyResultsSection) =>
  section.questions.find((q) => q.questionId === 'purpose') as Extract<SurveyResultsSection['questions'][number], { kind: 'single' }>;
const count = (name: string, deviceType?: string) => members.filter((m) => valuesOf(m.id, deviceType)[name] === 1).length;

describe('weighted survey results against R', () => {
  beforeAll(() => {
    ensureRPackage('survey');
  });

  it('are made of answers the survey accepts, some people answering more than once', () => {
    for (const answer of answers) validateAnswer(survey, answerSchema.parse({ values: answer.values }));
    const answersPerPerson = new Map<string, number>();
    for (const a of answers) {
      const person = prompts.find((p) => p.id === a.promptId)!.personId;
      answersPerPerson.set(person, (answersPerPerson.get(person) ?? 0) + 1);
    }
    expect([...answersPerPerson.values()].filter((n) => n > 1).length).toBeGreaterThan(30);
    // Which answer is a person's latest is a matter of when they answered, never a tie, and not always of the prompts' order.
    const answered = prompts.filter((p) => p.answeredAt !== undefined);
    expect(new Set(answered.map((p) => p.answeredAt)).size).toBe(answered.length);
    const outOfOrder = answered.filter((p, i) => answered.some((q, j) => j > i && q.personId === p.personId && q.answeredAt! < p.answeredAt!));
    expect(outOfOrder.length).toBeGreaterThan(5);
    expect(count('answered_nps')).toBeGreaterThan(100);
    expect(count('answered_purpose')).toBeGreaterThan(count('answered_nps'));
  });

  for (const variance of ['linearization', 'jackknife'] as const) {
    it(`weights the NPS, a choice's share and the response rate as R does (${variance}), overall and within a device type`, () => {
      const ref = reference(variance);
      const weights = weightedFigures(variance === 'jackknife' ? 'JKn' : undefined);
      weights.sample.ids.forEach((id, k) => {
        expect(Math.abs(weights.sample.weighting.weights[k]! / ref.weights.get(id)! - 1)).toBeLessThan(1e-9);
      });
      const results = surveyResults(survey, prompts, answers, { by: 'deviceType', weights });
      // As the route will answer them: the contract's schema holds every figure.
      expect(surveyResultsSchema.encode(results).weighting?.at).toBe('2026-05-01T00:00:00.000Z');
      expect(results.weighting?.variance).toBe(variance === 'jackknife' ? 'JKn' : 'linearization');
      const eBike = results.groups.find((g) => g.value === 'e_bike')!;

      const nps = npsOf(results.overall).weightedNps;
      expectClose(nps, 'nps', ref, 100);
      expect(nps!.n).toBe(count('answered_nps'));
      const codes = members.filter((m) => valuesOf(m.id).answered_nps === 1).map((m) => valuesOf(m.id).nps_code!);
      expect(nps!.sampleValue).toBeCloseTo((100 * codes.reduce((a, b) => a + b, 0)) / codes.length, 10);
      expectClose(purposeOf(results.overall).choices.find((c) => c.id === 'work')!.weightedShare, 'work', ref);
      expectClose(results.overall.weightedResponseRate, 'response', ref);
      expect(results.overall.weightedResponseRate!.n).toBe(count('sent'));

      expectClose(npsOf(eBike).weightedNps, 'nps_e_bike', ref, 100);
      expect(npsOf(eBike).weightedNps!.n).toBe(count('answered_nps', 'e_bike'));
      expectClose(purposeOf(eBike).choices.find((c) => c.id === 'work')!.weightedShare, 'work_e_bike', ref);
      expectClose(eBike.weightedResponseRate, 'response_e_bike', ref);
    });
  }

  it('moves the NPS toward the town: the young, who answer least and score lowest, count for more once weighted', () => {
    const results = surveyResults(survey, prompts, answers, { weights: weightedFigures() });
    const nps = npsOf(results.overall);
    expect(nps.weightedNps!.estimate).toBeLessThan(nps.weightedNps!.sampleValue);
    expect(nps.weightedNps!.lower).toBeGreaterThanOrEqual(-100);
    expect(nps.weightedNps!.upper).toBeLessThanOrEqual(100);
    // The unweighted figures count answers, outsiders' included: the weights leave them as they are.
    const unweighted = (value: unknown) => JSON.parse(JSON.stringify(value, (key, v) => (key.startsWith('weighted') ? undefined : v)));
    expect(surveyResults(survey, prompts, answers).overall).toEqual(unweighted(results.overall));
  });
});
