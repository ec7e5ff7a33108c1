export { holdoutDraw, promptId, samplingDraw, type PromptKey } from './prompt-keys.js';
export { AnswerRefused, type PathStep, validateAnswer } from './answers/validate-answer.js';
export {
  type RespondentWeights,
  type SurveyAnswer,
  type SurveyPrompt,
  type SurveyResultsOptions,
  surveyResults,
} from './answers/survey-results.js';
