import { topicMatches } from './acl.js';

/** The parts of an aedes 1.2 client that deliver a message to it (private API, hence checked below). */
interface DeliveringClient {
  deliver0(packet: { topic: string; qos: number }, done: () => void): void;
  subscriptions: Record<string, { qos: number } | undefined>;
}

/**
 * aedes delivers a message matching several filters of one client once, through whichever filter was
 * subscribed first, so a QoS 0 filter can shadow a QoS 1 one; [MQTT-3.3.5-1] asks for the highest QoS.
 * The QoS 0 delivery now steps aside when a QoS 1/2 filter of the client also matches. Call before the
 * client subscribes (aedes binds `deliver0` at SUBSCRIBE); the conformance tests cover it.
 */
export function deliverAtHighestQos(client: unknown): void {
  const target = client as DeliveringClient;
  if (typeof target.deliver0 !== 'function' || typeof target.subscriptions !== 'object') throw new Error('aedes client without deliver0/subscriptions');
  const deliver0 = target.deliver0.bind(target);
  target.deliver0 = (packet, done) => {
    const shadowed = packet.qos > 0 && Object.entries(target.subscriptions).some(([filter, sub]) => (sub?.qos ?? 0) > 0 && topicMatches(packet.topic, filter));
    if (shadowed) return void setImmediate(done);
    deliver0(packet, done);
  };
}
