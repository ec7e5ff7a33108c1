/** Failpoints for crash tests: where the variable `crashPointEnv` names one, the process kills itself with SIGKILL, as a crash would. */
export type CrashPoint =
  | 'analytics-before-commit'
  | 'analytics-after-commit'
  | 'survey-prompt-before-publish' // a prompt recorded, none of its publishes started
  | 'survey-prompt-after-publish'; // every publish of a prompt completed, not yet marked delivered

export const crashPointEnv = 'PARCOURS_CRASH_POINT';

const armed = process.env[crashPointEnv];

export function crashPoint(name: CrashPoint): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
