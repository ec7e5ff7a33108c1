export { holdoutDraw, promptId, samplingDraw, type PromptKey } from './prompt-keys.js';
export { surveyMigrations } from './migrations.js';
export { surveyAsWritten } from './survey-as-written.js';
export { SurveyService, type SurveyServiceDeps } from './survey-service.js';
export { type StoredSurvey, type StoredSurveyVersion, SurveyStore, type SurveyDefinition, type SurveyStatus } from './survey-store.js';
export { surveyRoutes } from './http/survey-routes.js';
export { type RespondentWeightsOf, surveyResultsRoutes } from './http/survey-results-routes.js';
export { type Decision, decidePrompt } from './decisions/decide-prompt.js';
export type { PromptDecisionInput, PromptHistoryEntry } from './decisions/decision-input.js';
export { AnswerRefused, type PathStep, validateAnswer } from './answers/validate-answer.js';
export {
  type RespondentWeights,
  type SurveyAnswer,
  type SurveyPrompt,
  type SurveyResultsOptions,
  surveyResults,
} from './answers/survey-results.js';
export {
  type PromptChange,
  type PromptChangeKind,
  type PromptChangeListener,
  PromptStore,
  type PromptContext,
  type StoredPrompt,
} from './prompts/prompt-store.js';
export { type PromptPointsLogger, promptPoints, promptPointWriter, type SurveyVersionOf } from './influx/prompt-points.js';
export { type Announcement, type DerivedResult, type DeviceEvent, TriggerInbox } from './triggers/trigger-inbox.js';
export { type Firing, firings, type FunnelStepReached, sessionPerson } from './triggers/trigger-firings.js';
export { gatewayPeople, type SurveyPeople } from './triggers/survey-people.js';
export { TriggerJob, type TriggerJobDeps } from './triggers/trigger-job.js';
export { PromptDelivery, type PromptDeliveryDeps } from './triggers/prompt-delivery.js';
export { surveyClock, type SurveyClockSource } from './triggers/survey-clock.js';
export { PromptReplies, promptState } from './replies/prompt-replies.js';
export { ReplyFollower } from './replies/reply-follower.js';
export type { QuarantineReply } from './replies/refused-reply.js';
export { promptRoutes, promptView } from './http/prompt-routes.js';
export { type JourneySpan, journeySurveySteps } from './journeys/journey-survey-steps.js';
