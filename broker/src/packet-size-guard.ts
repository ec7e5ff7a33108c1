/** The part of mqtt-packet's parser (9.x, through aedes 1.2) that reads a packet's remaining length. */
interface LengthParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

/**
 * Refuses a packet as soon as its header announces more than `maxBytes`, before its body is buffered
 * (MQTT 3.1.1 allows 256 MB; aedes has no limit of its own). The parser then reports an error and aedes
 * closes the connection, as Mosquitto does with `max_packet_size`. This reaches into mqtt-packet's parser,
 * a private API: the broker's tests send an oversized packet, so an upgrade that breaks this fails them.
 */
export function guardPacketSize(client: unknown, maxBytes: number, onBreach: () => void): void {
  const parser = (client as { _parser?: LengthParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') throw new Error('aedes client without the expected mqtt-packet parser');
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const complete = parseLength();
    if (complete && parser.packet.length > maxBytes) {
      onBreach();
      parser._emitError(new Error(`packet of ${parser.packet.length} bytes is over the ${maxBytes}-byte limit`));
      return false;
    }
    return complete;
  };
}
