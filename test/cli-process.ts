import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `parcours ARGS…` as a user runs it: the compiled CLI in its own process, in `cwd`, with the test's
 * environment less any Parcours variable, plus `env`.
 */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PARCOURS_') && !name.startsWith('INFLUX_')));
  return new Promise((resolve, reject) => {
    const child = spawn('node', [bin, ...args], { cwd: options.cwd, env: { ...inherited, PARCOURS_LOG_LEVEL: 'warn', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failure a user can act on: a non-zero exit and one line with its code, no stack trace. */
export function oneLineFailure(run: CliRun, code: string): string {
  if (run.code === 0) throw new Error(`expected a failure, got exit 0: ${run.stdout}`);
  const lines = run.stderr.trimEnd().split('\n');
  if (lines.length !== 1 || !lines[0]!.endsWith(`(${code})`)) throw new Error(`expected one line ending (${code}), got:\n${run.stderr}`);
  return lines[0]!;
}
