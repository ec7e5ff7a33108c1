export { Simulator, type SimulatorOptions, type SimulationSummary, type SimulationProgress } from './simulator.js';
export { loadScenario, parseScenario, builtInScenarios } from './scenario/load-scenario.js';
export { city, type CityOptions } from './scenarios/city.js';
export {
  worldSchema,
  faultRatesSchema,
  type World,
  type WorldInput,
  type WorldDevice,
  type MetricModel,
  type UsageWindow,
  type FaultRates,
} from './scenario/schema.js';
export { generateTimeline, type Timeline } from './timeline/generate-timeline.js';
export { faultKinds, type FaultKind, type TimelineMessage } from './timeline/types.js';
export {
  groundTruthSchema,
  mergeGroundTruth,
  writeGroundTruth,
  type GroundTruth,
  type SessionTruth,
  type FaultTruth,
  type MessageCounts,
} from './timeline/ground-truth.js';
export { ownerAt, assignmentsOf, type DeviceAssignment } from './world/world-index.js';
export { PlanBook, type VisitorStay } from './timeline/plans.js';
export { buildJourneys, journeyGapMs, type JourneyTruth } from './timeline/journeys.js';
export { registerWorld, type RegistrarOptions } from './registrar.js';
export { unknownDeviceIds } from './timeline/faults.js';
export type { DeviceAuth } from './device-client.js';
export type { Speed } from './clock.js';
export { runLoad, type LoadHooks } from './load/run-load.js';
export { loadDevices } from './load/load-devices.js';
export { loadPlanSchema, type LoadPlan, type LoadPlanInput, type LoadDevice } from './load/load-plan.js';
export type { LoadReport, ConnectPhase } from './load/load-report.js';
export {
  generateCustomerBase,
  customerBaseOptionsSchema,
  type CustomerBase,
  type CustomerBaseOptions,
  type SourceFile,
} from './universe/generate-customer-base.js';
export { writeCustomerBase, customerBaseFiles } from './universe/write-customer-base.js';
export { customerId } from './universe/customers.js';
export { crmId } from './universe/identities.js';
export {
  customerBaseTruth,
  customerBaseTruthSchema,
  importTruthSchema,
  type CustomerBaseTruth,
  type ImportTruth,
} from './universe/customer-base-truth.js';
export { customerBaseSources } from './universe/sources.js';
export { CustomerBaseClient, type CustomerBaseApi, type TraitReportCounts } from './universe/customer-base-client.js';
export {
  pushCustomerBase,
  checkTraitImport,
  describeCheck,
  defaultPushChunks,
  type PushChunks,
  type TraitImportCheck,
} from './universe/push-customer-base.js';
export {
  generateUsage,
  sessionsOf,
  defaultUsagePropensities,
  usageDeviceTypes,
  usageFunnelWindowMs,
  type CustomerUsage,
  type UsageDeviceType,
  type UsageOptions,
  type UsagePropensities,
  type UsageSession,
} from './universe/usage.js';
export { usageTruth, funnelTruth, type UsageTruth, type FunnelTruth, type ActiveTruth, type CohortTruth, type LifecycleTruth } from './universe/usage-truth.js';
export {
  usageTraffic,
  usageDeviceId,
  publishUsage,
  type UsageDevice,
  type UsageTraffic,
  type PublishUsageOptions,
  type UsagePublishProgress,
} from './universe/usage-devices.js';
export { baseUsageTruth, baseUsageTruthSchema, writeBaseUsageTruth, usageTruthFile, type BaseUsageTruth } from './universe/usage-truth-file.js';
export {
  answerBehaviourSchema,
  deliveredPromptSchema,
  planReply,
  plantedNpsScore,
  answerChance,
  localHour,
  npsOf,
  baseNpsTruth,
  type AnswerBehaviour,
  type AnswerBehaviourInput,
  type DeliveredPrompt,
  type SimulatedPerson,
  type ReplyKind,
  type PlannedReply,
  type PromptTruth,
  type BaseNpsTruth,
} from './surveys/answer-behaviour.js';
export { PromptAnswerer, type AnsweringDevice, type PromptAnswererOptions } from './surveys/prompt-answerer.js';
export { ageBands, type AgeBand } from './universe/distributions.js';
