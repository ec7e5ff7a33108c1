export { createInfluxWriter, type InfluxWriter } from './writer.js';
export { toLineProtocol, type InfluxPoint } from './point.js';
export { InfluxWriteError } from './errors.js';
export { apiForVersion, type InfluxApi } from './detect-version.js';
export { writeIsolatingRefused } from './write-isolating.js';
export { replaceRanges } from './replace-ranges.js';
export type { DeleteRange } from './http.js';
