import { type EventPayloadInput, deviceTopic, promptTopic, surveyReplyEvents } from '@parcours/contracts';
import type { Logger } from 'pino';
import { type DeviceAuth, DeviceClient } from '../device-client.js';
import { seqOf, seqSlot } from '../timeline/time.js';
import { type AnswerBehaviour, type DeliveredPrompt, deliveredPromptSchema, planReply, type PromptTruth, type SimulatedPerson } from './answer-behaviour.js';

/** A person's app device, and who they are when a prompt reaches it (their usage before it, as the caller counts it). */
export interface AnsweringDevice {
  deviceId: string;
  auth: DeviceAuth;
  person: SimulatedPerson | ((prompt: DeliveredPrompt) => SimulatedPerson);
}

export interface PromptAnswererOptions {
  mqttUrl: string;
  baseTopic: string;
  behaviour: AnswerBehaviour;
  logger: Logger;
  /** What a reply's draws are keyed by (`planReply`'s draw key); the prompt's id when not given. */
  drawKey?: (prompt: DeliveredPrompt, person: SimulatedPerson) => string;
  /**
   * Keeps the replies until `release`: a replay that publishes its data a chunk at a time releases those planned
   * within each chunk after it, so that no reply runs ahead of the device time Parcours has reached.
   */
  holdReplies?: boolean;
}

interface HeldReply {
  client: DeviceClient;
  deviceId: string;
  at: number;
  event: EventPayloadInput;
}

/**
 * Simulated people at their app devices: each device subscribes to its prompt topics and replies to each prompt
 * as the planted behaviour says, over MQTT as `survey.answer` or `survey.dismiss` events whose `ts` is the planned
 * reply time (simulated time). A device's replies go out one at a time, in the order its prompts arrive; a prompt
 * seen again (delivery is at least once) is replied to once. `truths` holds what was planted for every prompt.
 */
export class PromptAnswerer {
  readonly truths = new Map<string, PromptTruth>();
  private readonly clients: DeviceClient[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastSeq = new Map<string, number>();
  private readonly failures: Error[] = [];
  private held: HeldReply[] = [];

  private constructor(private readonly options: PromptAnswererOptions) {}

  static async start(devices: readonly AnsweringDevice[], options: PromptAnswererOptions): Promise<PromptAnswerer> {
    const answerer = new PromptAnswerer(options);
    try {
      for (const device of devices) await answerer.connect(device);
    } catch (error) {
      await answerer.close();
      throw error;
    }
    return answerer;
  }

  private async connect(device: AnsweringDevice): Promise<void> {
    const { mqttUrl, baseTopic, logger } = this.options;
    const client = new DeviceClient({
      deviceId: device.deviceId,
      mqttUrl,
      baseTopic,
      auth: device.auth,
      maxInFlight: 16,
      announceStatus: false,
      reconnect: true,
      logger,
    });
    await client.connect();
    this.clients.push(client);
    await client.subscribe(promptTopic(baseTopic, device.deviceId, '+'), (topic, payload) => {
      // A cleared prompt (answered, dismissed) is an empty retained message.
      if (payload.length === 0 || !topic.includes('/survey-prompts/')) return;
      const chain = (this.chains.get(device.deviceId) ?? Promise.resolve()).then(() => this.reply(client, device, payload.toString()));
      this.chains.set(
        device.deviceId,
        chain.catch((error: Error) => {
          this.failures.push(error);
          logger.warn({ deviceId: device.deviceId, err: error }, 'a simulated reply failed');
        }),
      );
    });
  }

  private async reply(client: DeviceClient, device: AnsweringDevice, text: string): Promise<void> {
    const prompt = deliveredPromptSchema.parse(JSON.parse(text));
    if (this.truths.has(prompt.promptId)) return;
    const person = typeof device.person === 'function' ? device.person(prompt) : device.person;
    const truth = planReply(this.options.behaviour, prompt, person, this.options.drawKey?.(prompt, person));
    this.truths.set(prompt.promptId, truth);
    if (truth.kind === 'ignore' || truth.at === null) return;
    const seq = Math.max(seqOf(truth.at, seqSlot.surveyReply), (this.lastSeq.get(device.deviceId) ?? -1) + 1);
    this.lastSeq.set(device.deviceId, seq);
    const event: EventPayloadInput =
      truth.kind === 'answer'
        ? { ts: truth.at, seq, type: surveyReplyEvents.answer, attrs: { promptId: prompt.promptId, answer: JSON.stringify(truth.values) } }
        : { ts: truth.at, seq, type: surveyReplyEvents.dismiss, attrs: { promptId: prompt.promptId } };
    if (this.options.holdReplies) this.held.push({ client, deviceId: device.deviceId, at: truth.at, event });
    else await this.send(client, device.deviceId, event);
  }

  private send(client: DeviceClient, deviceId: string, event: EventPayloadInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      void client.publish(deviceTopic(this.options.baseTopic, deviceId, 'events'), JSON.stringify(event), 1, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Publishes the replies held that were planned before `until`, each device's in order, resolving once the broker acknowledged them. */
  async release(until: number): Promise<void> {
    const due = this.held.filter((h) => h.at < until).sort((a, b) => a.event.seq - b.event.seq);
    this.held = this.held.filter((h) => h.at >= until);
    await Promise.all(due.map((h) => this.send(h.client, h.deviceId, h.event)));
  }

  /** Resolves once every prompt received so far is replied to and the broker acknowledged it; rejects on a failed reply. */
  async idle(): Promise<void> {
    await Promise.all(this.chains.values());
    if (this.failures.length > 0) throw this.failures[0]!;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close(5000)));
  }
}
