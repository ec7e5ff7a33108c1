import {
  type SurveyBreakdownKey,
  surveyBreakdownKeys,
  surveyResultsSchema,
  surveyStates,
  surveyViewSchema,
  type SurveyState,
  type SurveyView,
  toIso,
} from '@parcours/contracts';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { apiGet, apiRequest } from './api-client.js';
import { type ApiOptions, apiOf, apiOptions, readRequest } from './api-options.js';
import { surveyResultsTable } from './survey-results-table.js';

const surveyPage = z.object({ items: z.array(surveyViewSchema), total: z.number().int() });
/** What the list shows of a survey's definition. */
const listed = z.object({ name: z.string(), startsAt: z.string(), endsAt: z.string().optional() });
const pageSize = 1000;

const stateOf = (view: SurveyView) => (view.closed ? `closed ${toIso(view.closed.at)} (${view.closed.reason})` : 'open');

function printList(surveys: readonly SurveyView[]): void {
  if (surveys.length === 0) return void process.stdout.write('no survey\n');
  const width = Math.max(2, ...surveys.map((s) => s.id.length));
  const lines = [
    `${'id'.padEnd(width)}  version  ${'from'.padEnd(24)}  ${'until'.padEnd(24)}  state`,
    ...surveys.map((s) => {
      const { startsAt, endsAt, name } = listed.parse(s.survey);
      return `${s.id.padEnd(width)}  ${String(s.version).padStart(7)}  ${startsAt.padEnd(24)}  ${(endsAt ?? '-').padEnd(24)}  ${stateOf(s)}  ${name}`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `parcours surveys create|list|close|results`: in-the-moment surveys, through the HTTP API of a running Parcours. */
export function surveysCommand(): Command {
  const surveys = new Command('surveys').description('Create, list and close in-the-moment surveys (docs/surveys.md).');
  apiOptions(
    surveys
      .command('create')
      .description('Store a survey from a file (JSON or YAML, as POST /api/v1/surveys takes it) as its version 1; prints its id and version.')
      .requiredOption('--file <file>', 'the survey')
      .option('--json', 'print the survey as the API answers it'),
  ).action(async (options: ApiOptions & { file: string; json?: boolean }) => {
    const created = await apiRequest(apiOf(options), 'POST', '/surveys', readRequest(options.file), surveyViewSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    else process.stdout.write(`survey ${created.id} version ${created.version}\n`);
  });
  apiOptions(
    surveys
      .command('list')
      .description('Every survey at its latest version: its window, its state (and when and why it closed), its name.')
      .addOption(new Option('--state <state>', 'only the surveys in this state').choices(surveyStates))
      .option('--json', 'print the surveys as the API answers them'),
  ).action(async (options: ApiOptions & { state?: SurveyState; json?: boolean }) => {
    const api = apiOf(options);
    const all: SurveyView[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const query = new URLSearchParams({ limit: String(pageSize), offset: String(offset), ...(options.state ? { state: options.state } : {}) });
      const page = await apiGet(api, `/surveys?${query}`, surveyPage);
      all.push(...page.items);
      if (offset + page.items.length >= page.total || page.items.length === 0) break;
    }
    if (options.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else printList(all);
  });
  apiOptions(
    surveys
      .command('close')
      .description('Close a survey: no prompt of it any more (closing a closed survey changes nothing; a new version opens it again).')
      .argument('<survey>', "the survey's id")
      .option('--json', 'print the survey as the API answers it'),
  ).action(async (id: string, options: ApiOptions & { json?: boolean }) => {
    const closed = await apiRequest(apiOf(options), 'POST', `/surveys/${encodeURIComponent(id)}/close`, undefined, surveyViewSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(closed, null, 2)}\n`);
    else process.stdout.write(`survey ${closed.id} version ${closed.version}: ${stateOf(closed)}\n`);
  });
  apiOptions(
    surveys
      .command('results')
      .description(
        "A survey's results: its prompts by decision, response and dismissal rates, each question's answers and the NPS; by a breakdown and weighted on request.",
      )
      .argument('<survey>', "the survey's id")
      .option('--from <instant>', 'prompts due at or after (ISO 8601)')
      .option('--to <instant>', 'prompts due before (ISO 8601)')
      .addOption(new Option('--by <key>', 'also per value of this key').choices(surveyBreakdownKeys))
      .option('--weights <scheme>', 'also the figures for the population of this weighting scheme, with their 95% intervals')
      .option('--weights-version <version>', "the scheme's version; default the latest")
      .option('--json', 'print the results as the API answers them'),
  ).action(
    async (
      id: string,
      options: ApiOptions & { from?: string; to?: string; by?: SurveyBreakdownKey; weights?: string; weightsVersion?: string; json?: boolean },
    ) => {
      const query = new URLSearchParams(
        Object.entries({ from: options.from, to: options.to, by: options.by, weights: options.weights, weightsVersion: options.weightsVersion }).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
      );
      const results = await apiGet(apiOf(options), `/surveys/${encodeURIComponent(id)}/results?${query}`, z.unknown());
      if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else process.stdout.write(surveyResultsTable(surveyResultsSchema.parse(results)));
    },
  );
  return surveys;
}
