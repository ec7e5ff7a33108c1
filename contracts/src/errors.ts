/**
 * Every stable error and quarantine reason code, in one place: tests, logs, metrics labels and API
 * error bodies use these strings, so they never change meaning.
 */
export const errorCodes = {
  // Quarantine reasons: why a device message was not accepted.
  badJson: 'PARCOURS_E_BAD_JSON',
  badEncoding: 'PARCOURS_E_BAD_ENCODING',
  schema: 'PARCOURS_E_SCHEMA',
  oversize: 'PARCOURS_E_OVERSIZE',
  unknownDevice: 'PARCOURS_E_UNKNOWN_DEVICE',
  topicMismatch: 'PARCOURS_E_TOPIC_MISMATCH',
  badTopic: 'PARCOURS_E_BAD_TOPIC',
  tooLate: 'PARCOURS_E_TOO_LATE',
  influxRefused: 'PARCOURS_E_INFLUX_REFUSED',
  // API and registry errors.
  notFound: 'PARCOURS_E_NOT_FOUND',
  conflict: 'PARCOURS_E_CONFLICT',
  overlap: 'PARCOURS_E_OVERLAP',
  validation: 'PARCOURS_E_VALIDATION',
  badInterval: 'PARCOURS_E_BAD_INTERVAL',
  notIndividual: 'PARCOURS_E_NOT_INDIVIDUAL',
  notCollective: 'PARCOURS_E_NOT_COLLECTIVE',
  unauthorized: 'PARCOURS_E_UNAUTHORIZED',
  forbidden: 'PARCOURS_E_FORBIDDEN',
  internal: 'PARCOURS_E_INTERNAL',
  // HTTP requests refused before any route handles them (a body's bad JSON, bad encoding or size reuse the
  // quarantine's codes above).
  noRoute: 'PARCOURS_E_NO_ROUTE',
  methodNotAllowed: 'PARCOURS_E_METHOD_NOT_ALLOWED',
  badUrl: 'PARCOURS_E_BAD_URL',
  urlTooLong: 'PARCOURS_E_URL_TOO_LONG',
  headersTooLarge: 'PARCOURS_E_HEADERS_TOO_LARGE',
  badRequest: 'PARCOURS_E_BAD_REQUEST',
  requestTimeout: 'PARCOURS_E_REQUEST_TIMEOUT',
  unsupportedMediaType: 'PARCOURS_E_UNSUPPORTED_MEDIA_TYPE',
  expectationFailed: 'PARCOURS_E_EXPECTATION_FAILED',
  // Configuration and outputs.
  config: 'PARCOURS_E_CONFIG',
  portInUse: 'PARCOURS_E_PORT_IN_USE',
  // Another node holds the ingest lease: this one would derive from a partial log (docs/several-nodes.md).
  anotherNode: 'PARCOURS_E_ANOTHER_NODE',
  // A commit of a device partition's state by a node that no longer owns it at the epoch it took (fencing).
  staleOwner: 'PARCOURS_E_STALE_OWNER',
  // A command that would change the store of a running server (which keeps results in progress in memory).
  serverRunning: 'PARCOURS_E_SERVER_RUNNING',
  // A command that reads or changes a store, run on a folder that holds none (only `parcours start` creates one).
  noStore: 'PARCOURS_E_NO_STORE',
  // A batch command whose derivation settings differ from those the server derived with.
  settingsDiffer: 'PARCOURS_E_SETTINGS_DIFFER',
  // A command line the user can correct: a missing or malformed option, a file that cannot be read.
  usage: 'PARCOURS_E_USAGE',
  // A client command (sim, day) that cannot reach the Parcours HTTP API it was pointed at.
  unreachable: 'PARCOURS_E_UNREACHABLE',
  // A simulator whose world another simulator already runs against the same Parcours.
  worldRunning: 'PARCOURS_E_WORLD_RUNNING',
  influxWrite: 'PARCOURS_E_INFLUX_WRITE',
  // A place that French geography cannot resolve (docs/panels.md, "Geography").
  noPlace: 'PARCOURS_E_NO_PLACE',
  unknownPostcode: 'PARCOURS_E_UNKNOWN_POSTCODE',
  unknownCommune: 'PARCOURS_E_UNKNOWN_COMMUNE',
  postcodeCommuneMismatch: 'PARCOURS_E_POSTCODE_COMMUNE_MISMATCH',
  // A community whose conditions too few of the panel's members meet (docs/panels.md).
  communityTooSmall: 'PARCOURS_E_COMMUNITY_TOO_SMALL',
  // A panel quota that a cell of the universe has too few people to fill (docs/sampling.md).
  quotaShortfall: 'PARCOURS_E_QUOTA_SHORTFALL',
  // Weighting problems that no weights can solve (docs/weighting.md, "When weighting is refused"): each names
  // the cell, level or margin at fault.
  weightingEmptyCell: 'PARCOURS_E_WEIGHTING_EMPTY_CELL',
  weightingUnknownLevel: 'PARCOURS_E_WEIGHTING_UNKNOWN_LEVEL',
  weightingMissingLevel: 'PARCOURS_E_WEIGHTING_MISSING_LEVEL',
  weightingBounds: 'PARCOURS_E_WEIGHTING_BOUNDS',
  weightingNotConverged: 'PARCOURS_E_WEIGHTING_NOT_CONVERGED',
  weightingLonelyUnit: 'PARCOURS_E_WEIGHTING_LONELY_UNIT',
  // An estimate asked of a subpopulation that holds no one, or no weight.
  weightingEmptyDomain: 'PARCOURS_E_WEIGHTING_EMPTY_DOMAIN',
  // Weights asked of figures about collectives: a scheme weights people.
  weightsIndividualsOnly: 'PARCOURS_E_WEIGHTS_INDIVIDUALS_ONLY',
  // Answers a survey refuses (docs/surveys.md, "Answers"): each names the question at fault. A value that does
  // not fit its question; an answer to a question the answers' own path does not ask; a required question on
  // that path left unanswered.
  answerInvalid: 'PARCOURS_E_ANSWER_INVALID',
  answerNotAsked: 'PARCOURS_E_ANSWER_NOT_ASKED',
  answerMissing: 'PARCOURS_E_ANSWER_MISSING',
  // An answer to a prompt past its expiry: the prompt's state refuses it, not its content.
  promptExpired: 'PARCOURS_E_PROMPT_EXPIRED',
  // Replies (answers, dismissals) a prompt's state refuses (docs/surveys.md, "Answering"): it already holds
  // another answer, or a dismissal; it was never sent (holdout, sampled out…); no prompt has that id.
  promptAnswered: 'PARCOURS_E_PROMPT_ANSWERED',
  promptDismissed: 'PARCOURS_E_PROMPT_DISMISSED',
  promptNotSent: 'PARCOURS_E_PROMPT_NOT_SENT',
  promptUnknown: 'PARCOURS_E_PROMPT_UNKNOWN',
  // A survey event from a device whose attrs do not hold a reply (no promptId, an answer that is not JSON…).
  replyMalformed: 'PARCOURS_E_REPLY_MALFORMED',
  // A reply from a device not assigned to the prompt's person at the reply's time.
  replyWrongDevice: 'PARCOURS_E_REPLY_WRONG_DEVICE',
  // A survey's `funnel_step` trigger naming a funnel not declared, counted by collective, or without that step.
  triggerFunnel: 'PARCOURS_E_TRIGGER_FUNNEL',
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/**
 * Why a prompt's reply was refused once it reached the surveys (docs/surveys.md, "Answering"). The quarantine
 * keeps them for inspection; they are not replayed, since a device's reply is already in the durable log.
 */
export const replyQuarantineReasons = [
  errorCodes.answerInvalid,
  errorCodes.answerNotAsked,
  errorCodes.answerMissing,
  errorCodes.promptExpired,
  errorCodes.promptAnswered,
  errorCodes.promptDismissed,
  errorCodes.promptNotSent,
  errorCodes.promptUnknown,
  errorCodes.replyMalformed,
  errorCodes.replyWrongDevice,
] as const;

export const quarantineReasons = [
  errorCodes.badJson,
  errorCodes.badEncoding,
  errorCodes.schema,
  errorCodes.oversize,
  errorCodes.unknownDevice,
  errorCodes.topicMismatch,
  errorCodes.badTopic,
  errorCodes.tooLate,
  errorCodes.influxRefused,
  ...replyQuarantineReasons,
] as const;
export type QuarantineReason = (typeof quarantineReasons)[number];

/**
 * An error that carries a stable code, and whether retrying the same operation may succeed; `details` locate
 * the problems it is about (a field path), when it has any.
 */
export class ParcoursError extends Error {
  readonly details: { path: string; message: string }[] | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown; details?: { path: string; message: string }[] },
  ) {
    super(message, options);
    this.name = 'ParcoursError';
    this.details = options?.details;
  }
}

/** A refused input, with each problem located (a field path, or a file line): `details` of a 400. */
export class ParcoursInputError extends ParcoursError {
  declare readonly details: { path: string; message: string }[];

  constructor(message: string, details: { path: string; message: string }[]) {
    super(errorCodes.validation, message, false, { details });
    this.name = 'ParcoursInputError';
  }
}
