import { errorCodes, parseDeviceTopic } from '@parcours/contracts';
import { reject, type Draft, type Rejection } from './draft.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodeOptions {
  baseTopic: string;
  maxPayloadBytes: number;
}

/** Topic → device and channel; bytes → UTF-8 text → JSON (status stays plain text, as a last will carries it). */
export function decode(draft: Draft, options: DecodeOptions): Rejection | void {
  const { topic, payload } = draft.message;
  const parsed = parseDeviceTopic(options.baseTopic, topic);
  if (!parsed) return reject(errorCodes.badTopic, `not a device topic: ${topic}`);
  draft.topic = parsed;
  if (payload.length > options.maxPayloadBytes) {
    return reject(errorCodes.oversize, `payload of ${payload.length} bytes exceeds the limit of ${options.maxPayloadBytes}`);
  }
  try {
    draft.text = utf8.decode(payload);
  } catch {
    return reject(errorCodes.badEncoding, 'payload is not valid UTF-8');
  }
  if (parsed.channel === 'status') return;
  try {
    draft.json = JSON.parse(draft.text);
  } catch (error) {
    return reject(errorCodes.badJson, `payload is not JSON: ${(error as Error).message}`);
  }
}
