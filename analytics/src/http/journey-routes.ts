import { idSchema, journeySurveyStepSchema, type JourneySurveyStep, servedJourneySchema } from '@parcours/contracts';
import { notFound } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServedResults } from '../served-results.js';
import { resultRange, resultRangeQuery } from './result-range.js';

/** The survey steps of a person's journeys, by journey id (the surveys read them from their prompts). */
export type SurveyStepsOf = (personId: string, journeys: readonly { id: string; start: number; end: number }[]) => Map<string, JourneySurveyStep[]>;

const journeyList = z.object({
  items: z
    .array(
      servedJourneySchema.extend({
        surveySteps: z
          .array(journeySurveyStepSchema)
          .optional()
          .describe("with `surveySteps=true`: the survey prompts answered or dismissed within a person's journey, by trigger time (none for a collective's)"),
      }),
    )
    .describe('the journeys, by start time'),
});

const journeyQuery = resultRangeQuery('journeys').extend({
  surveySteps: z
    .stringbool()
    .default(false)
    .describe('`true`: each journey of a person also with its survey steps (the journeys otherwise as announced over MQTT)'),
});

/** `GET /subjects/{id}/journeys`: the journeys of a subject (individual or collective), closed, open or both. */
export function journeyRoutes(served: ServedResults, subjectKnown: (id: string) => boolean, surveyStepsOf: SurveyStepsOf): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/journeys',
      {
        config: { access: { subjectParam: 'id' } },
        schema: {
          tags: ['analytics'],
          summary: "A subject's journeys",
          description:
            "The subject's sessions across devices in start order, up to an inactivity gap, for journeys starting in [from, to); a person's also with the survey prompts they answered or dismissed along the way.",
          params: z.object({ id: idSchema.describe('the subject') }),
          querystring: journeyQuery,
          response: { 200: journeyList },
        },
      },
      async (request) => {
        const range = resultRange(request.query, Date.now());
        if (!subjectKnown(request.params.id)) throw notFound('subject', request.params.id);
        const journeys = served.journeysOfSubject(request.params.id, range);
        if (!request.query.surveySteps) return { items: journeys };
        const steps = surveyStepsOf(
          request.params.id,
          journeys.filter((journey) => journey.subjectKind === 'individual'),
        );
        return { items: journeys.map((journey) => ({ ...journey, surveySteps: steps.get(journey.id) ?? [] })) };
      },
    );
  };
}
