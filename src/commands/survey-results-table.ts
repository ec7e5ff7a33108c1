import type { QuestionResult, SurveyResults, SurveyResultsSection, WeightedEstimate } from '@parcours/contracts';
import { toIso } from '@parcours/contracts';

const percent = (share: number | null | undefined) => (share === null || share === undefined ? '-' : `${(100 * share).toFixed(1)}%`);
const number = (value: number | null) => (value === null ? '-' : value.toFixed(1));

/** A weighted figure with its 95% interval and who it is over; `as` prints its values (a share as a percentage). */
function weighted(figure: WeightedEstimate | null | undefined, as: (value: number) => string): string | null {
  if (figure === undefined) return null;
  if (figure === null) return 'weighted: no weighted member';
  return `weighted ${as(figure.estimate)} (95% ${as(figure.lower)} to ${as(figure.upper)}, n ${figure.n}, n_eff ${figure.effectiveSize.toFixed(1)})`;
}

/** Rows of label and values, columns aligned. */
function rows(lines: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = lines.reduce<number[]>((w, line) => line.map((cell, c) => Math.max(w[c] ?? 0, cell.length)), []);
  return lines.map((line) => `${indent}${line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd());
}

function questionLines(question: QuestionResult): string[] {
  const head = `${question.questionId} (${question.kind}): ${question.answered} answers`;
  switch (question.kind) {
    case 'single':
    case 'multiple':
      return [head, ...rows(question.choices.map((c) => [c.id, String(c.count), percent(c.share), weighted(c.weightedShare, (v) => percent(v)) ?? '']))];
    case 'rating':
      return [
        `${head}, mean ${number(question.mean)}`,
        ...rows(question.histogram.map((h) => [String(h.score), String(h.count), percent(h.share)])),
        ...[weighted(question.weightedMean, (v) => v.toFixed(2))].flatMap((w) => (w ? [`  mean ${w}`] : [])),
      ];
    case 'nps':
      return [
        `${head}, NPS ${number(question.nps)}, mean ${number(question.mean)}`,
        ...rows([
          ['promoters (9-10)', String(question.promoters.count), percent(question.promoters.share)],
          ['passives (7-8)', String(question.passives.count), percent(question.passives.share)],
          ['detractors (0-6)', String(question.detractors.count), percent(question.detractors.share)],
        ]),
        ...[weighted(question.weightedNps, (v) => v.toFixed(1))].flatMap((w) => (w ? [`  NPS ${w}`] : [])),
      ];
    case 'text':
      return [head];
  }
}

function sectionLines(section: SurveyResultsSection): string[] {
  const decisions = Object.entries(section.decisions)
    .filter(([, count]) => count > 0)
    .map(([decision, count]) => `${decision} ${count}`);
  const responseRate = weighted(section.weightedResponseRate, (v) => percent(v));
  return [
    `prompts: ${decisions.length ? decisions.join(', ') : 'none'}`,
    ...rows([
      ['sent', String(section.sent), ''],
      ['shown', String(section.shown), ''],
      ['answered', String(section.answered), `response rate ${percent(section.responseRate)}`],
      ['dismissed', String(section.dismissed), `dismissal rate ${percent(section.dismissalRate)}`],
    ]),
    ...(responseRate ? [`  response rate ${responseRate}`] : []),
    ...section.questions.flatMap(questionLines),
  ];
}

/** A survey's results as `parcours surveys results` prints them: overall, then each group, then the weights used. */
export function surveyResultsTable(results: SurveyResults): string {
  const lines = [
    'overall',
    ...sectionLines(results.overall).map((line) => `  ${line}`),
    ...results.groups.flatMap((group) => [`${results.by} = ${group.value ?? '(none)'}`, ...sectionLines(group).map((line) => `  ${line}`)]),
    ...(results.weighting
      ? [
          `weighted by ${results.weighting.schemeId} version ${results.weighting.version} (${toIso(results.weighting.at)}), n ${results.weighting.n}, n_eff ${results.weighting.effectiveSize.toFixed(1)}`,
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
