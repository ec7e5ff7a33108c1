import { z } from 'zod';

/** Identifiers appear in MQTT topics and InfluxDB tags: no `/`, `+`, `#`, spaces or control characters. */
export const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'letters, digits and _ . : - (at most 128), starting with a letter or digit');

/** Device and subject types are open vocabularies in snake_case (`coffee_machine`, `public_space`). */
export const typeNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, at most 64 characters');
