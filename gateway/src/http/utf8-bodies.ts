import { errorCodes, ParcoursError } from '@parcours/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The charset a Content-Type names, lower-cased and unquoted (`text/csv; charset="UTF-8"` → `utf-8`), or null. */
function charsetOf(contentType: string | undefined): string | null {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset')
      return value
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return null;
}

/**
 * A body's text, only from UTF-8, the one encoding JSON allows between systems (RFC 8259 §8.1) and the
 * API reads: a Content-Type naming another charset is 415, bytes that are not UTF-8 are 400. (fastify's
 * parsers decode lossily: each bad byte would become U+FFFD and reach the registry.)
 */
export function utf8Body(request: FastifyRequest, body: Buffer): string {
  const charset = charsetOf(request.headers['content-type']);
  if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ParcoursError(errorCodes.unsupportedMediaType, `the body must be UTF-8, not charset=${charset}`);
  }
  try {
    return utf8.decode(body);
  } catch {
    throw new ParcoursError(errorCodes.badEncoding, 'the body is not valid UTF-8');
  }
}

/** The parser of a text body (`text/csv`), read with `parseAs: 'buffer'`. */
export async function utf8TextParser(request: FastifyRequest, body: Buffer): Promise<string> {
  return utf8Body(request, body);
}

/**
 * Replaces fastify's JSON parser by a UTF-8 one, which keeps its refusal of `__proto__` and
 * `constructor.prototype` keys, and drops its plain-text one: no route reads plain text, so such a body is 415.
 */
export function useUtf8Parsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8Body(request, body as Buffer); // parseAs: 'buffer'
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

/** The largest body an import route reads: a CRM export of hundreds of thousands of rows. */
export const importBodyLimit = 50 * 1024 * 1024;
