import { errorCodes, ParcoursError, servedJourneySchema, servedSessionSchema, subjectSchema, toIso, type Subject } from '@parcours/contracts';
import { Command } from 'commander';
import { z } from 'zod';
import { clientApiKeyEnv, loadConfig } from '../config/load-config.js';
import { apiGet } from './api-client.js';
import { parseDay } from './day-date.js';
import { formatDay } from './day-timeline.js';
import { localUrls } from './local-urls.js';
import { UsageError } from './usage-error.js';

const sessionList = z.object({ items: z.array(servedSessionSchema) });
const journeyList = z.object({ items: z.array(servedJourneySchema) });

interface DayOptions {
  date: string;
  api?: string;
  apiKey?: string;
  config?: string;
}

/** The subject as registered; null when the key may not read the registry (an integrator's reads results only). */
async function subjectOf(api: { url: string; key: string }, id: string): Promise<Subject | null> {
  try {
    return await apiGet(api, `/subjects/${encodeURIComponent(id)}`, subjectSchema);
  } catch (error) {
    if (error instanceof ParcoursError && error.code === errorCodes.forbidden) return null;
    if (error instanceof ParcoursError && error.code === errorCodes.notFound) throw new ParcoursError(errorCodes.notFound, `no subject ${id} in this Parcours`);
    throw error;
  }
}

/** `parcours day SUBJECT`: a subject's sessions and journeys of one local day, read through the HTTP API. */
export async function runDayCommand(subjectId: string, options: DayOptions): Promise<void> {
  const day = parseDay(options.date, new Date());
  const key = options.apiKey ?? process.env[clientApiKeyEnv];
  if (!key)
    throw new UsageError(
      `--api-key (or ${clientApiKeyEnv}) is required: an API key of this Parcours (parcours keys create, or the one printed at first start)`,
    );
  const api = { url: options.api ?? localUrls(loadConfig({ file: options.config })).api, key };
  const subject = await subjectOf(api, subjectId);
  const results = (kind: string, from: number, to: number) =>
    `/subjects/${encodeURIComponent(subjectId)}/${kind}?from=${toIso(from)}&to=${toIso(to)}&status=all&limit=10000`;
  const journeys = (await apiGet(api, results('journeys', day.from, day.to), journeyList)).items;
  // The steps of a journey starting late in the day may start after midnight.
  const sessionsTo = Math.max(day.to, ...journeys.map((j) => j.end + 1));
  const sessions = (await apiGet(api, results('sessions', day.from, sessionsTo), sessionList)).items;
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  process.stdout.write(formatDay({ subjectId, subject, day, sessions, journeys, timeZone }));
}

/** `parcours day`: the terminal's view of a subject's day. */
export function dayCommand(): Command {
  return new Command('day')
    .description("Print a subject's sessions and journeys of one day (local time) as a timeline, from a running Parcours' HTTP API.")
    .argument('<subject>', 'id of the subject (a person, a household, …)')
    .option('--date <day>', 'today, yesterday or YYYY-MM-DD (local time zone)', 'today')
    .option('--api <url>', "HTTP API of the running Parcours (default: the configuration's, http://localhost:8080)")
    .option('--api-key <key>', `an API key of that Parcours (default: ${clientApiKeyEnv})`)
    .option('-c, --config <file>', 'configuration file (JSON or YAML) of that Parcours, for its address')
    .action(runDayCommand);
}
