/** The parts of an aedes 1.2 client read here (private API, hence checked below). */
interface QueueingClient {
  _parser: { listeners(event: 'packet'): ((packet: unknown) => void)[]; removeListener(event: 'packet', listener: (packet: unknown) => void): void };
  /** Packets being handled; aedes reads the socket again when it falls to 0. */
  _parsingBatch: number;
  /** True by the time 'connected' is emitted: aedes' enqueue then handles a packet at once instead of queueing it. */
  connackSent: boolean;
  once(event: 'connected', listener: () => void): unknown;
}

/**
 * Holds the packets a client sends behind its CONNECT until the CONNECT is done, then hands them to aedes
 * in order. MQTT 3.1.1 lets a client send them without waiting for the CONNACK (section 3.1.4), and a
 * device flushing its backlog right after it reconnects does; none is processed if the CONNECT is refused
 * [MQTT-3.1.4-5].
 *
 * aedes 1.2 queues such packets itself, but closes the connection past 42 (`queueLimit`), and a packet
 * completed by a later socket read while the login is under way skips its queue (its read gate counts
 * socket events as handled packets): a large publish written with its CONNECT was then handled before the
 * login and refused. Here up to `maxPackets` are held (more are a breach: the connection closes without a
 * CONNACK); each counts as a packet being handled, as in aedes, so the socket is not read further for it.
 */
export function holdUntilConnack(client: unknown, maxPackets: number, onBreach: () => void): void {
  const c = client as Partial<QueueingClient>;
  const handlers = c._parser?.listeners('packet') ?? [];
  if (handlers.length !== 1 || typeof c._parsingBatch !== 'number' || typeof c.connackSent !== 'boolean' || typeof c.once !== 'function')
    throw new Error('aedes client without the expected packet queue');
  const queueing = c as QueueingClient;
  const parser = queueing._parser as unknown as NodeJS.EventEmitter;
  const aedesEnqueue = handlers[0]!;
  const held: unknown[] = [];
  let state: 'awaiting_connect' | 'holding' | 'released' | 'refused' = 'awaiting_connect';

  parser.removeListener('packet', aedesEnqueue);
  parser.on('packet', function onPacket(this: unknown, packet: unknown) {
    if (state === 'refused') return;
    if (state !== 'holding') {
      // The CONNECT (or whatever comes first, which aedes refuses), or any packet once the held ones are handed over.
      if (state === 'awaiting_connect') state = 'holding';
      aedesEnqueue.call(this, packet);
      return;
    }
    queueing._parsingBatch += 1;
    if (held.length >= maxPackets) {
      state = 'refused';
      onBreach();
      parser.emit('error', new Error(`more than ${maxPackets} packets sent before the CONNACK`));
      return;
    }
    held.push(packet);
  });
  // aedes emits 'connected' once the CONNACK is written and the session's queued messages are sent.
  queueing.once('connected', () => {
    // A packet handled at once may let aedes read the socket, whose packets join `held` behind the others.
    while (held.length > 0) {
      queueing._parsingBatch -= 1; // aedes' enqueue counts it again
      aedesEnqueue.call(parser, held.shift());
    }
    state = 'released';
  });
}
