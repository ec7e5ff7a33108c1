import { describe, expect, it } from 'vitest';
import { type Outgoing, OutgoingQueue } from '../src/outgoing-queue.js';

const message = (value: string, qos = 0, bytes = 10): Outgoing<string> => ({ value, qos, bytes });
const values = (entries: Outgoing<string>[]) => entries.map((entry) => entry.value);

describe('OutgoingQueue', () => {
  it('gives messages back in order and counts what waits', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 3, maxBytes: 1000 });
    queue.offer(message('a'));
    queue.offer(message('b', 1));
    expect(queue.take()?.value).toBe('a');
    expect([queue.messages, queue.bytes]).toEqual([1, 10]);
    expect(queue.take()?.value).toBe('b');
    expect(queue.take()).toBeUndefined();
  });

  it('drops the oldest waiting QoS 0 message for a new one when the count is reached', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 3, maxBytes: 1000 });
    queue.offer(message('q1', 1));
    queue.offer(message('old'));
    queue.offer(message('older-qos1', 1));
    expect(queue.offer(message('new'))).toEqual({ outcome: 'queued', dropped: [message('old')] });
    expect([queue.take(), queue.take(), queue.take()].map((entry) => entry?.value)).toEqual(['q1', 'older-qos1', 'new']);
  });

  it('drops as many QoS 0 messages as the bytes of a new one need', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 100 });
    for (const value of ['a', 'b', 'c', 'd']) queue.offer(message(value, 0, 25));
    const admission = queue.offer(message('big', 1, 60));
    expect(admission.outcome === 'queued' && values(admission.dropped)).toEqual(['a', 'b', 'c']);
    expect(queue.bytes).toBe(85);
  });

  it('counts the bytes the connection already holds against the byte limit', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 100 });
    queue.offer(message('a', 0, 30), 50);
    const admission = queue.offer(message('b', 0, 30), 50);
    expect(admission.outcome === 'queued' && values(admission.dropped)).toEqual(['a']);
    expect(queue.offer(message('c', 1, 30), 50)).toEqual({ outcome: 'queued', dropped: [message('b', 0, 30)] });
    expect(queue.offer(message('d', 1, 30), 50)).toEqual({ outcome: 'refused', full: 'queued_bytes' });
  });

  it('drops a QoS 0 message and refuses a QoS 1 one when only QoS 1/2 messages fill it, naming the limit', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 2, maxBytes: 100 });
    queue.offer(message('a', 1));
    queue.offer(message('b', 2));
    expect(queue.offer(message('c'))).toEqual({ outcome: 'dropped' });
    expect(queue.offer(message('d', 1))).toEqual({ outcome: 'refused', full: 'queued_messages' });
    const bytes = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 100 });
    bytes.offer(message('a', 1, 90));
    expect(bytes.offer(message('b', 1, 20))).toEqual({ outcome: 'refused', full: 'queued_bytes' });
    expect([bytes.messages, bytes.bytes]).toEqual([1, 90]);
  });

  it('drops nothing for a message that would not fit even then', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 100 });
    queue.offer(message('qos1', 1, 60));
    queue.offer(message('small', 0, 30));
    expect(queue.offer(message('large', 1, 50))).toEqual({ outcome: 'refused', full: 'queued_bytes' });
    expect(queue.messages).toBe(2);
  });

  it('takes a message larger than the byte limit when nothing waits', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 100 });
    expect(queue.offer(message('huge', 1, 500), 100).outcome).toBe('queued');
    expect(queue.offer(message('next', 1, 1))).toEqual({ outcome: 'refused', full: 'queued_bytes' });
  });

  it('gives back every waiting message when cleared', () => {
    const queue = new OutgoingQueue<string>({ maxMessages: 10, maxBytes: 1000 });
    for (const value of ['a', 'b', 'c']) queue.offer(message(value));
    queue.take();
    expect(values(queue.clear())).toEqual(['b', 'c']);
    expect([queue.messages, queue.bytes]).toEqual([0, 0]);
    expect(queue.offer(message('d'))).toEqual({ outcome: 'queued', dropped: [] });
  });
});
