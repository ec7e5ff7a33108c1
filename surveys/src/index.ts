export { holdoutDraw, promptId, samplingDraw, type PromptKey } from './prompt-keys.js';
