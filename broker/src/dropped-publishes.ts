/** The method of aedes 1.2 that publishes what a client's accepted PUBLISH carried (private call signature). */
interface PublishingBroker {
  publish(packet: object, client: unknown, done?: (error?: Error | null) => void): void;
}

/**
 * Publishes that `authorizePublish` accepted only to drop them. aedes can only accept a publish or refuse it
 * (and refusing closes the connection); it then publishes what it accepted (retains it, hands it to its
 * emitter for subscribers and other nodes) with the very packet it gave `authorizePublish`
 * (`lib/handlers/publish.js`). A dropped packet stops there. `install` checks the method it wraps, so an
 * aedes upgrade that changes it fails the tests instead of delivering dropped messages.
 */
export class DroppedPublishes {
  private readonly packets = new WeakSet<object>();

  drop(packet: object): void {
    this.packets.add(packet);
  }

  install(broker: unknown): void {
    const target = broker as PublishingBroker;
    if (typeof target.publish !== 'function' || target.publish.length !== 3) throw new Error('aedes without publish(packet, client, done)');
    const publish = target.publish.bind(target);
    target.publish = (packet, client, done) => {
      if (!this.packets.has(packet)) return publish(packet, client, done);
      done?.(null);
    };
  }
}
