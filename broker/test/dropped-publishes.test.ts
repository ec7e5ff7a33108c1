import { describe, expect, it } from 'vitest';
import { DroppedPublishes } from '../src/dropped-publishes.js';

/** A broker with aedes' three-argument publish, recording what it publishes. */
function broker() {
  const published: object[] = [];
  return {
    published,
    publish(packet: object, _client: unknown, done?: (error?: Error | null) => void) {
      published.push(packet);
      done?.(null);
    },
  };
}

describe('DroppedPublishes', () => {
  it('stops a dropped packet where aedes would publish it, and lets every other one through', () => {
    const target = broker();
    const dropped = new DroppedPublishes();
    dropped.install(target);
    const [kept, gone] = [{ topic: 'a' }, { topic: 'b' }];
    dropped.drop(gone);
    const done: string[] = [];
    target.publish(kept, null, () => done.push('kept'));
    target.publish(gone, null, () => done.push('gone'));
    expect(target.published).toEqual([kept]);
    expect(done).toEqual(['kept', 'gone']);
  });

  it('refuses a broker whose publish is not the one it expects', () => {
    expect(() => new DroppedPublishes().install({ publish: (_packet: object, _done: () => void) => undefined })).toThrow(/publish\(packet, client, done\)/);
  });
});
