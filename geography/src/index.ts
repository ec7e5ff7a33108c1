export { frenchAreas, type Area, type FrenchAreas } from './french-areas.js';
export { populationBy, type AreaLevel } from './population.js';
export { resolvePlace, type Place, type PlaceQuery, type PlaceRefusal, type PlaceResult } from './resolve-place.js';
