import { errorCodes, parseDeviceTopic } from '@parcours/contracts';
import { type Decoded, type InboundMessage, Rejection } from './message.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodeOptions {
  baseTopic: string;
  maxPayloadBytes: number;
}

/** Topic → device and channel; bytes → UTF-8 text → JSON (status stays plain text, as a last will carries it). */
export function decode(message: InboundMessage, options: DecodeOptions): Decoded | Rejection {
  const { topic, payload } = message;
  const parsed = parseDeviceTopic(options.baseTopic, topic);
  if (!parsed) return new Rejection(errorCodes.badTopic, `not a device topic: ${topic}`, null, null);
  const { deviceId, channel } = parsed;
  if (payload.length > options.maxPayloadBytes) {
    return new Rejection(errorCodes.oversize, `payload of ${payload.length} bytes exceeds the limit of ${options.maxPayloadBytes}`, deviceId, channel);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return new Rejection(errorCodes.badEncoding, 'payload is not valid UTF-8', deviceId, channel);
  }
  if (channel === 'status') return { message, deviceId, channel, text };
  try {
    return { message, deviceId, channel, json: JSON.parse(text) };
  } catch (error) {
    return new Rejection(errorCodes.badJson, `payload is not JSON: ${(error as Error).message}`, deviceId, channel);
  }
}
