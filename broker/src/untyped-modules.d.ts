// The aedes persistences ship no types; aedes itself takes `persistence?: any`.

declare module 'aedes-persistence-level' {
  import type { ClassicLevel } from 'classic-level';
  import type { Readable } from 'node:stream';
  function createLevelPersistence(db: ClassicLevel<string, Buffer>): { destroy(): Promise<void>; createRetainedStreamCombi(patterns: string[]): Readable };
  export = createLevelPersistence;
}

declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  function createRedisPersistence(options: { conn: Redis }): { destroy(): Promise<void> };
  export = createRedisPersistence;
}
