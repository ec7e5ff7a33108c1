// The aedes persistences ship no types; aedes itself takes `persistence?: any`.

declare module 'aedes-persistence-level' {
  import type { ClassicLevel } from 'classic-level';
  function createLevelPersistence(db: ClassicLevel<string, Buffer>): { destroy(): Promise<void> };
  export = createLevelPersistence;
}

declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  function createRedisPersistence(options: { conn: Redis }): { destroy(): Promise<void> };
  export = createRedisPersistence;
}
