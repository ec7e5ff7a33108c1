export { startInfluxDB, type InfluxServer } from './influxdb.js';
export { startMosquitto } from './mosquitto.js';
export { startRedis } from './redis.js';
export { freePort } from './free-port.js';
export { acceptsTcp } from './managed-process.js';
export { startPostgres, type PostgresServer } from './postgres.js';
