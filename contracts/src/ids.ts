import { z } from 'zod';

/** The longest identifier; also the longest path parameter the HTTP API accepts. */
export const idMaxLength = 128;

/** Identifiers appear in MQTT topics and InfluxDB tags: no `/`, `+`, `#`, spaces or control characters. */
export const idSchema = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,${idMaxLength - 1}}$`),
    `letters, digits and _ . : - (at most ${idMaxLength}), starting with a letter or digit`,
  );

/** Device and subject types are open vocabularies in snake_case (`coffee_machine`, `public_space`). */
export const typeNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, at most 64 characters');
