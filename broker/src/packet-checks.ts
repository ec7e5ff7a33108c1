import { isUtf8 } from 'node:buffer';

/**
 * What MQTT 3.1.1 forbids and mqtt-packet 9 (through aedes 1.2) lets through. Each is a protocol violation,
 * for which the spec has the connection closed [MQTT-4.8.0-1]; the reason labels
 * `parcours_mqtt_protocol_errors_total`.
 */
export type ProtocolViolation =
  | 'invalid_utf8'
  | 'null_character'
  | 'packet_id_zero'
  | 'will_qos'
  | 'invalid_topic_name'
  | 'empty_subscribe'
  | 'empty_unsubscribe'
  | 'unsupported_protocol';

/** The fields of a packet decoded by mqtt-packet that the checks read. */
export interface DecodedPacket {
  cmd: string;
  qos?: number;
  messageId?: number;
  topic?: string;
  will?: { topic: string; qos: number };
  subscriptions?: readonly unknown[];
  unsubscriptions?: readonly unknown[];
}

/**
 * A UTF-8 string field (topic, filter, client id, username, will topic): `text` as mqtt-packet decoded it,
 * `raw()` its bytes. mqtt-packet turns ill-formed UTF-8 into U+FFFD, so only a U+FFFD sends the check back
 * to the bytes, which may hold a well-formed one.
 */
export function stringViolation(text: string, raw: () => Uint8Array): ProtocolViolation | null {
  // [MQTT-1.5.3-1]: ill-formed UTF-8, an encoded UTF-16 surrogate included.
  if (text.includes('\uFFFD') && !isUtf8(raw())) return 'invalid_utf8';
  // [MQTT-1.5.3-2] lets the server close the connection; no topic or id of Parcours has a use for U+0000.
  if (text.includes('\0')) return 'null_character';
  return null;
}

/** A Topic Name, which a PUBLISH and a will are sent to, has a character at least and no wildcard [MQTT-4.7.3-1] [MQTT-3.3.2-2]. */
export function isTopicName(topic: string): boolean {
  return topic !== '' && !topic.includes('+') && !topic.includes('#');
}

export function packetViolation(packet: DecodedPacket): ProtocolViolation | null {
  switch (packet.cmd) {
    case 'connect':
      if (!packet.will) return null;
      if (packet.will.qos > 2) return 'will_qos'; // [MQTT-3.1.2-14]
      return isTopicName(packet.will.topic) ? null : 'invalid_topic_name';
    case 'publish':
      if ((packet.qos ?? 0) > 0 && packet.messageId === 0) return 'packet_id_zero'; // [MQTT-2.3.1-1]
      return isTopicName(packet.topic ?? '') ? null : 'invalid_topic_name';
    case 'subscribe':
      if (packet.messageId === 0) return 'packet_id_zero';
      return packet.subscriptions?.length ? null : 'empty_subscribe'; // [MQTT-3.8.3-3]
    case 'unsubscribe':
      if (packet.messageId === 0) return 'packet_id_zero';
      return packet.unsubscriptions?.length ? null : 'empty_unsubscribe'; // [MQTT-3.10.3-2]
    default:
      return null;
  }
}

/**
 * MQTT 3.1.1 is "MQTT" at level 4 [MQTT-3.1.2-1]; MQTT 3.1, which aedes serves too, "MQIsdp" at level 3.
 * mqtt-packet accepts either name with either level (aedes refuses levels above 4 only).
 */
export function isSupportedProtocol({ protocolId, protocolVersion }: { protocolId?: string; protocolVersion?: number }): boolean {
  return (protocolId === 'MQTT' && protocolVersion === 4) || (protocolId === 'MQIsdp' && protocolVersion === 3);
}

/** CONNACK 0x01, unacceptable protocol level, the answer to an unsupported one before the close [MQTT-3.1.2-2]. */
export const connackUnacceptableProtocol = Buffer.from([0x20, 0x02, 0x00, 0x01]);

/** The part of mqtt-packet's parser (9.x, through aedes 1.2) that decodes strings and emits packets. */
interface PacketParser {
  packet: DecodedPacket;
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseString(): string | null;
  _newPacket(): boolean;
  _emitError(error: Error): void;
}

/**
 * Refuses a client's packets that break the rules above (all but the protocol level, which gets a CONNACK
 * at `preConnect`): `onViolation` counts it, then the parser reports an error before it emits the packet,
 * and aedes closes the connection. The strings are checked as mqtt-packet decodes them, where their bytes
 * are still at hand. This reaches into mqtt-packet's parser, a private API, and throws when it is not there.
 */
export function checkPackets(client: unknown, onViolation: (violation: ProtocolViolation) => void): void {
  const parser = (client as { _parser?: Partial<PacketParser> })._parser;
  if (!parser || typeof parser._parseString !== 'function' || typeof parser._newPacket !== 'function' || typeof parser._emitError !== 'function')
    throw new Error('aedes client without the expected mqtt-packet parser');
  const p = parser as PacketParser;
  // The first bad string of the packet being parsed (mqtt-packet makes a new packet object for each).
  let badString: { packet: DecodedPacket; violation: ProtocolViolation } | null = null;
  const parseString = p._parseString.bind(p);
  p._parseString = () => {
    const start = p._pos;
    const text = parseString();
    if (text !== null && badString?.packet !== p.packet) {
      // After the string's two-byte length.
      const violation = stringViolation(text, () => p._list.slice(start + 2, p._pos));
      if (violation !== null) badString = { packet: p.packet, violation };
    }
    return text;
  };
  const newPacket = p._newPacket.bind(p);
  p._newPacket = () => {
    const violation = (badString?.packet === p.packet ? badString.violation : null) ?? packetViolation(p.packet);
    badString = null;
    if (violation === null) return newPacket();
    onViolation(violation);
    p._emitError(new Error(`MQTT protocol violation: ${violation}`));
    return false;
  };
}
