export { holdoutDraw, promptId, samplingDraw, type PromptKey } from './prompt-keys.js';
export { type Decision, decidePrompt } from './decisions/decide-prompt.js';
export type { PromptDecisionInput, PromptHistoryEntry } from './decisions/decision-input.js';
