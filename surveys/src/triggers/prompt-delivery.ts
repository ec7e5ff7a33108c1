import { crashPoint, promptTopic, subjectPromptTopic, toIso } from '@parcours/contracts';
import { CoalescingRunner } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { PromptStore, StoredPrompt } from '../prompts/prompt-store.js';
import type { SurveyService } from '../survey-service.js';
import type { SurveyPeople } from './survey-people.js';

export interface PromptDeliveryDeps {
  prompts: PromptStore;
  surveys: SurveyService;
  people: SurveyPeople;
  baseTopic: string;
  /** The device types prompts go to (`surveys.promptDeviceTypes`). */
  deviceTypes: readonly string[];
  /** Publishes at QoS 1, resolving once the broker has taken the message. */
  publish: (topic: string, payload: string, options: { qos: 1; retain: boolean }) => Promise<void>;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
}

/**
 * Publishes the prompts `sent` and due, not yet delivered, to each of the person's prompt devices, retained at
 * QoS 1 on `{base}/devices/{id}/commands/survey-prompts/{promptId}`; marks a prompt delivered once every
 * publish completed. What a crash leaves undelivered is published again at the next start (at least once). A
 * prompt whose person has no prompt device stays undelivered.
 */
export class PromptDelivery {
  private readonly now: () => number;
  private readonly runner: CoalescingRunner;

  constructor(private readonly deps: PromptDeliveryDeps) {
    this.now = deps.now ?? Date.now;
    this.runner = new CoalescingRunner(
      async () => {
        await this.deliverDue();
        await this.clearDone();
      },
      (error) => deps.logger.warn({ err: error }, 'could not deliver survey prompts; retrying'),
      deps.intervalMs ?? 1_000,
    );
  }

  /** Starts its timer and runs once: what waits from before (a crash, a batch command) goes now. */
  start(): Promise<void> {
    return this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  wake(): void {
    this.runner.wake();
  }

  /** Delivers what is due now and clears what is done (answered, dismissed, expired), after the run in progress. */
  flush(): Promise<void> {
    return this.runner.run();
  }

  private async deliverDue(): Promise<void> {
    const { prompts, publish } = this.deps;
    const now = this.now();
    for (let page = prompts.undelivered(now, 1_000); page.length > 0; page = prompts.undelivered(now, 1_000, page.at(-1))) {
      // Each prompt is marked delivered once all its publishes completed; prompts go out side by side, so that one
      // waiting for its acknowledgements does not hold back the others.
      await Promise.all(
        page.map(async (prompt) => {
          const devices = this.promptDevices(prompt, now);
          if (devices.length === 0) return;
          const payload = JSON.stringify(this.payload(prompt));
          crashPoint('survey-prompt-before-publish');
          await Promise.all(this.topics(prompt, devices).map((topic) => publish(topic, payload, { qos: 1, retain: true })));
          crashPoint('survey-prompt-after-publish');
          prompts.markDelivered(prompt.promptId, this.now());
        }),
      );
    }
  }

  /** Replaces the retained messages of prompts answered, dismissed or expired by empty ones: devices show them no more. */
  private async clearDone(): Promise<void> {
    const { prompts, publish } = this.deps;
    const now = this.now();
    for (let page = prompts.toClear(now, 1_000); page.length > 0; page = prompts.toClear(now, 1_000)) {
      await Promise.all(
        page.map(async (prompt) => {
          await Promise.all(this.topics(prompt, this.promptDevices(prompt, now)).map((topic) => publish(topic, '', { qos: 1, retain: true })));
          prompts.markCleared(prompt.promptId, this.now());
        }),
      );
    }
  }

  /** The prompt's topics: each prompt device's, and the person's own, which integrators granted the person read. */
  private topics(prompt: StoredPrompt, devices: readonly string[]): string[] {
    const { baseTopic } = this.deps;
    return [...devices.map((device) => promptTopic(baseTopic, device, prompt.promptId)), subjectPromptTopic(baseTopic, prompt.personId, prompt.promptId)];
  }

  private promptDevices(prompt: StoredPrompt, at: number): string[] {
    return this.deps.people
      .devicesAt(prompt.personId, at)
      .filter((d) => this.deps.deviceTypes.includes(d.type))
      .map((d) => d.id);
  }

  /** What a device shows: the survey's questions as the prompt's version asks them, and until when. */
  private payload(prompt: StoredPrompt) {
    const { survey } = this.deps.surveys.require(prompt.surveyId, prompt.version);
    return {
      promptId: prompt.promptId,
      surveyId: prompt.surveyId,
      version: prompt.version,
      name: survey.name,
      questions: survey.questions,
      sentAt: toIso(prompt.sendAt),
      expiresAt: toIso(prompt.expiresAt),
    };
  }
}
