import { type Answer, answerSchema, errorCodes, type LogRecord, ParcoursError, surveyReplyEvents } from '@parcours/contracts';

/** A reply a device's event carries. */
export type ReplyEvent = { kind: 'answer'; promptId: string; answer: Answer } | { kind: 'dismiss' | 'shown'; promptId: string };

const kinds = new Map<string, 'answer' | 'dismiss' | 'shown'>(
  Object.entries(surveyReplyEvents).map(([kind, type]) => [type, kind as 'answer' | 'dismiss' | 'shown']),
);

export function isReplyEvent(record: LogRecord): boolean {
  return record.channel === 'events' && record.type !== null && kinds.has(record.type);
}

/**
 * The reply in a `survey.*` event's attrs: `promptId`, and for an answer `answer`, the JSON text of its values
 * (attrs hold only primitives, a text at most 256 characters); `PARCOURS_E_REPLY_MALFORMED` when they do not hold one.
 */
export function replyOf(record: LogRecord): ReplyEvent {
  const kind = kinds.get(record.type ?? '');
  if (kind === undefined) throw malformed(`${record.type} is not a survey reply`);
  const promptId = record.attrs?.promptId;
  if (typeof promptId !== 'string' || promptId === '') throw malformed(`${record.type} needs attrs.promptId, the prompt's id`);
  if (kind !== 'answer') return { kind, promptId };
  const text = record.attrs?.answer;
  if (typeof text !== 'string') throw malformed('survey.answer needs attrs.answer, the JSON text of its values');
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    throw malformed('attrs.answer is not JSON');
  }
  const parsed = answerSchema.safeParse({ values });
  if (!parsed.success)
    throw malformed(
      `attrs.answer is not an answer's values: ${parsed.error.issues.map((i) => `${i.path.slice(1).join('.') || 'values'}: ${i.message}`).join('; ')}`,
    );
  return { kind, promptId, answer: parsed.data };
}

const malformed = (message: string) => new ParcoursError(errorCodes.replyMalformed, message);
