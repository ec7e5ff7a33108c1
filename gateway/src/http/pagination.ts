import { z } from 'zod';

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('page size'),
  offset: z.coerce.number().int().min(0).default(0).describe('items to skip'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).describe('the records of this page'),
    limit: z.number().int().describe('the page size asked for'),
    offset: z.number().int().describe('the records skipped before this page'),
  });
}

/** A page bounded in bytes too: it may hold fewer than `limit` items, and says where the next one starts. */
export function budgetedPageOf<T extends z.ZodType>(item: T) {
  return pageOf(item).extend({
    nextOffset: z
      .number()
      .int()
      .nullable()
      .describe('the offset of the next page, null after the last one (a page that reached its byte budget holds fewer than `limit` items)'),
  });
}

/**
 * Fills a page from rows read one at a time: at most `limit` items, and at most `maxBytes` of their JSON
 * (the first item always goes in, so that every page moves on). `rows` is read from the page's offset, up to
 * one row past `limit`, which tells whether there is a next page.
 */
export function fillPage<R, T>(rows: Iterable<R>, toItem: (row: R) => T, page: { limit: number; offset: number; maxBytes: number }) {
  const items: T[] = [];
  let bytes = '[]'.length;
  let more = false;
  for (const row of rows) {
    if (items.length === page.limit) {
      more = true;
      break;
    }
    const item = toItem(row);
    // The items' JSON array as sent: each item and the comma before it.
    const size = Buffer.byteLength(JSON.stringify(item)) + (items.length > 0 ? 1 : 0);
    if (items.length > 0 && bytes + size > page.maxBytes) {
      more = true;
      break;
    }
    items.push(item);
    bytes += size;
  }
  return { items, limit: page.limit, offset: page.offset, nextOffset: more ? page.offset + items.length : null };
}
