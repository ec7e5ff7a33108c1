import { WeightedFigures } from '@parcours/analytics';
import type { WeightedEstimate } from '@parcours/contracts';
import { type DeliveredPrompt, planReply } from '@parcours/firmware-sim';
import { type DrawnUnit, stratifiedDraw } from '@parcours/sampling';
import { type SurveyAnswer, type SurveyPrompt, surveyResults } from '@parcours/surveys';
import { rake } from '@parcours/weighting';
import { describe, expect, it } from 'vitest';
import { allocation, baseMargins, behaviour, type PlantedPerson, plantedWorld, survey, surveyId } from './planted-nps.js';

/**
 * Does the weighted NPS's interval hold the base's true NPS as often as it says? Two hundred panels are drawn
 * from the planted base (test/planted-nps.ts), each member is prompted once and replies as planted (the young
 * least, everyone less in the evening, some late), the respondents are raked to the base as a scheme does
 * (base weights 1/π, strata of the draw, the base's counts as margins), and the product's `surveyResults` gives
 * the weighted NPS — a ratio mean of +100/0/−100 whose standard error is linearized — with its 95% interval.
 * The same respondents under the whole panel's weights show why the respondents must be the ones weighted.
 */
const draws = 200;
const sentOn = Date.UTC(2026, 2, 23);
const minute = 60_000;

const { people, truth } = plantedWorld();
const margins = baseMargins(people);
const units = people.map((p) => ({ id: String(p.index), cell: `age_band=${p.ageBand}` }));
const cells = Object.entries(allocation).map(([ageBand, allocated]) => ({ key: `age_band=${ageBand}`, allocated }));

/** The weighting of these members as a raking scheme makes it. */
function weightsOf(members: readonly DrawnUnit[], schemeId: string): WeightedFigures {
  const who = members.map((u) => people[Number(u.id)]!);
  const weighting = rake(
    {
      levels: { age_band: who.map((p) => p.ageBand), household_size: who.map((p) => String(p.householdSize)) },
      baseWeights: members.map((u) => 1 / u.inclusionProbability),
      strata: members.map((u) => u.cell),
    },
    margins,
  );
  return new WeightedFigures({ schemeId, version: 1, at: sentOn, ranAt: sentOn, ids: who.map((p) => p.id), weighting });
}

/** One panel drawn and prompted: its raw NPS, and its weighted NPS with the respondents' and with the panel's weights. */
function panelNps(draw: number): { unweighted: number; respondents: number; weighted: WeightedEstimate; panelWeighted: WeightedEstimate } {
  const drawn = stratifiedDraw(units, { cells }, draw);
  const prompts: SurveyPrompt[] = [];
  const answers: SurveyAnswer[] = [];
  const answering: DrawnUnit[] = [];
  for (const unit of drawn) {
    const person: PlantedPerson = people[Number(unit.id)]!;
    const sentAt = sentOn + (person.evening ? 23 : 12) * 60 * minute + 10 * minute;
    const prompt: DeliveredPrompt = {
      promptId: `pr_${draw}_${unit.id}`,
      surveyId,
      version: 1,
      name: survey.name,
      questions: survey.questions,
      sentAt,
      expiresAt: sentAt + survey.expiresAfter,
    };
    const reply = planReply(behaviour, prompt, person);
    const inTime = reply.kind === 'answer' && !reply.late;
    prompts.push({
      id: prompt.promptId,
      personId: person.id,
      decision: 'sent',
      sentAt,
      ...(inTime ? { answeredAt: reply.at! } : {}),
      ...(reply.kind === 'dismiss' ? { dismissedAt: reply.at! } : {}),
    });
    if (!inTime) continue;
    answers.push({ promptId: prompt.promptId, values: reply.values! });
    answering.push(unit);
  }
  const nps = (weights: WeightedFigures) => {
    const question = surveyResults(survey, prompts, answers, { weights }).overall.questions[0]!;
    if (question.kind !== 'nps') throw new Error('the survey asks an NPS');
    return question;
  };
  const byRespondents = nps(weightsOf(answering, 'respondents'));
  return {
    unweighted: byRespondents.nps!,
    respondents: answering.length,
    weighted: byRespondents.weightedNps!,
    panelWeighted: nps(weightsOf(drawn, 'panel')).weightedNps!,
  };
}

describe('the weighted NPS against the whole base', () => {
  it('holds the true NPS in its 95% interval about 95% of the time, nearer to it than the raw NPS', () => {
    let covered = 0;
    let coveredByPanelWeights = 0;
    let weightedError = 0;
    let unweightedError = 0;
    let panelWeightedError = 0;
    let halfWidth = 0;
    let nearer = 0;
    let respondents = 0;
    for (let draw = 1; draw <= draws; draw++) {
      const panel = panelNps(draw);
      const holds = (e: WeightedEstimate) => e.lower <= truth.nps && truth.nps <= e.upper;
      if (holds(panel.weighted)) covered++;
      if (holds(panel.panelWeighted)) coveredByPanelWeights++;
      weightedError += Math.abs(panel.weighted.estimate - truth.nps) / draws;
      panelWeightedError += Math.abs(panel.panelWeighted.estimate - truth.nps) / draws;
      unweightedError += Math.abs(panel.unweighted - truth.nps) / draws;
      if (Math.abs(panel.weighted.estimate - truth.nps) < Math.abs(panel.unweighted - truth.nps)) nearer++;
      halfWidth += (panel.weighted.upper - panel.weighted.lower) / 2 / draws;
      respondents += panel.respondents / draws;
    }
    const coverage = covered / draws;
    console.info(
      `true NPS ${truth.nps.toFixed(2)}; ${respondents.toFixed(1)} respondents on average; respondents raked: coverage ${coverage}, ` +
        `mean half-width ${halfWidth.toFixed(2)}, mean error ${weightedError.toFixed(2)}, nearer than the raw NPS in ${nearer} draws; unweighted: mean error ${unweightedError.toFixed(2)}; ` +
        `panel raked: coverage ${coveredByPanelWeights / draws}, mean error ${panelWeightedError.toFixed(2)}`,
    );
    // Over 200 independent draws the coverage is Binomial(200, 0.95)/200 when the intervals are right: standard
    // deviation √(0.95·0.05/200) ≈ 0.015, so [0.90, 0.995] is 3 of them either side (0.995 allowing for intervals
    // a little wide without the finite population correction: the panel is a fifth of the base).
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.995);
    expect(weightedError).toBeLessThan(unweightedError);
    // The raw NPS's bias is several standard errors: the weighted NPS is nearer the truth in nearly every draw.
    expect(nearer / draws).toBeGreaterThan(0.9);
    // The panel's weights make the members stand for the base, not the respondents, whom age thins unevenly: the
    // weighted NPS of those respondents estimates the NPS of the people who would answer, and misses the base's.
    expect(coveredByPanelWeights / draws).toBeLessThan(0.6);
    expect(panelWeightedError).toBeGreaterThan(2 * weightedError);
  });
});
