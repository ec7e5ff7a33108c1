import { describe, expect, it } from 'vitest';
import { fillPage } from '../../src/http/pagination.js';

/** Rows of `size` bytes of JSON each (a string of size - 2 characters and its quotes). */
const rows = (count: number, size: number) => Array.from({ length: count }, () => 'x'.repeat(size - 2));
const json = (items: unknown[]) => Buffer.byteLength(JSON.stringify(items));

describe('fillPage', () => {
  it('stops before the item that would pass the byte budget, and says where the next page starts', () => {
    const page = fillPage(rows(10, 100), (r) => r, { limit: 10, offset: 20, maxBytes: 350 });
    expect(page.items).toHaveLength(3);
    expect(json(page.items)).toBeLessThanOrEqual(350);
    expect(page.nextOffset).toBe(23);
  });

  it('counts the brackets and commas of the array as sent', () => {
    // Three items of 100 bytes make 2 + 300 + 2 = 304 bytes.
    expect(fillPage(rows(3, 100), (r) => r, { limit: 10, offset: 0, maxBytes: 304 }).items).toHaveLength(3);
    expect(fillPage(rows(3, 100), (r) => r, { limit: 10, offset: 0, maxBytes: 303 }).items).toHaveLength(2);
  });

  it('always holds one item, however large, so that paging moves on', () => {
    expect(fillPage(rows(2, 1000), (r) => r, { limit: 10, offset: 0, maxBytes: 100 })).toMatchObject({ nextOffset: 1 });
  });

  it('ends at `limit`, with a next page only when a row is left (the caller reads one past the limit)', () => {
    expect(fillPage(rows(3, 10), (r) => r, { limit: 2, offset: 0, maxBytes: 1000 })).toMatchObject({ nextOffset: 2 });
    expect(fillPage(rows(2, 10), (r) => r, { limit: 2, offset: 0, maxBytes: 1000 })).toMatchObject({ nextOffset: null });
  });

  it('stops reading once the page is full', () => {
    let read = 0;
    const counted = (function* () {
      for (const row of rows(100, 100)) {
        read += 1;
        yield row;
      }
    })();
    fillPage(counted, (r) => r, { limit: 100, offset: 0, maxBytes: 500 });
    expect(read).toBe(5);
  });
});
