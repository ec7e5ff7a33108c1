export { MqttBroker, type MqttBrokerOptions } from './mqtt-broker.js';
export { ExternalBroker, type ExternalBrokerOptions, externalClientId, firstConnection } from './external-broker.js';
export type { BrokerHooks } from './broker-hooks.js';
export type { Principal } from './acl.js';
