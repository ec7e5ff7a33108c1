import { type Answer, type AnswerValue, type ErrorCode, errorCodes, ParcoursError, type Question, type Survey } from '@parcours/contracts';

/** An answer refused: its code says why, `questionId` which question is at fault (its `details` path: `body.values.<id>`). */
export class AnswerRefused extends ParcoursError {
  constructor(
    code: ErrorCode,
    readonly questionId: string,
    message: string,
  ) {
    super(code, message, false, { details: [{ path: `body.values.${questionId}`, message }] });
    this.name = 'AnswerRefused';
  }
}

/** A question on the answers' path, with its answer (null when an optional question was left unanswered). */
export interface PathStep {
  questionId: string;
  value: AnswerValue | null;
}

/**
 * The questions an answer's own values lead through, from the first: each question's branches, first match
 * first, decide the next one. Refuses (AnswerRefused) a value that does not fit its question, a required
 * question on the path left unanswered, and an answer to a question the path does not ask; the first problem
 * along the path is the one reported.
 */
export function validateAnswer(survey: Survey, answer: Answer): PathStep[] {
  const path: PathStep[] = [];
  let index = 0;
  while (index < survey.questions.length) {
    const question = survey.questions[index]!;
    const value = answer.values[question.id];
    if (value === undefined && question.required)
      throw new AnswerRefused(errorCodes.answerMissing, question.id, `"${question.id}" is required and was not answered`);
    if (value !== undefined) checkValue(question, value);
    path.push({ questionId: question.id, value: value ?? null });
    const next = nextQuestion(survey, question, index, value);
    if (next === 'end') break;
    index = next;
  }
  const asked = new Set(path.map((step) => step.questionId));
  for (const questionId of Object.keys(answer.values)) {
    if (asked.has(questionId)) continue;
    const known = survey.questions.some((q) => q.id === questionId);
    throw new AnswerRefused(
      errorCodes.answerNotAsked,
      questionId,
      known ? `"${questionId}" is not asked: the answers before it lead past it` : `the survey has no question "${questionId}"`,
    );
  }
  return path;
}

/**
 * The index of the question after this one, or `end`. A branch with conditions (choices, min, max) follows an
 * answer that meets them all; one without any is always followed, answered or not.
 */
function nextQuestion(survey: Survey, question: Question, index: number, value: AnswerValue | undefined): number | 'end' {
  const branch = question.branches.find((b) => {
    const conditional = b.choices !== undefined || b.min !== undefined || b.max !== undefined;
    if (!conditional) return true;
    if (value === undefined) return false;
    if (b.choices !== undefined && !(Array.isArray(value) ? value : [value]).some((choice) => b.choices!.includes(String(choice)))) return false;
    if (b.min !== undefined && !(typeof value === 'number' && value >= b.min)) return false;
    if (b.max !== undefined && !(typeof value === 'number' && value <= b.max)) return false;
    return true;
  });
  if (!branch) return index + 1 < survey.questions.length ? index + 1 : 'end';
  return branch.goTo === 'end' ? 'end' : survey.questions.findIndex((q) => q.id === branch.goTo);
}

function checkValue(question: Question, value: AnswerValue): void {
  const refuse = (why: string) => new AnswerRefused(errorCodes.answerInvalid, question.id, `"${question.id}": ${why}`);
  switch (question.kind) {
    case 'single': {
      if (typeof value !== 'string') throw refuse("takes one choice's id");
      if (!question.choices.some((c) => c.id === value)) throw refuse(`has no choice "${value}"`);
      return;
    }
    case 'multiple': {
      if (!Array.isArray(value)) throw refuse('takes a list of choice ids');
      const unknown = value.find((id) => !question.choices.some((c) => c.id === id));
      if (unknown !== undefined) throw refuse(`has no choice "${unknown}"`);
      if (new Set(value).size !== value.length) throw refuse('names a choice twice');
      const most = question.maxChoices ?? question.choices.length;
      if (value.length > most) throw refuse(`${value.length} choices picked, at most ${most}`);
      return;
    }
    case 'rating':
    case 'nps': {
      const [min, max] = question.kind === 'nps' ? [0, 10] : [question.min, question.max];
      if (typeof value !== 'number') throw refuse(`takes a score from ${min} to ${max}`);
      if (value < min || value > max) throw refuse(`${value} is outside its scale, ${min} to ${max}`);
      return;
    }
    case 'text': {
      if (typeof value !== 'string') throw refuse('takes text');
      // Characters as people count them: code points, so that an emoji is one.
      const length = [...value].length;
      if (length > question.maxLength) throw refuse(`${length} characters, at most ${question.maxLength}`);
      return;
    }
  }
}
