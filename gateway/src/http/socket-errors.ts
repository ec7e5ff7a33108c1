import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorCodes, problemContentType, type ErrorCode } from '@parcours/contracts';
import type { ConnectionError } from 'fastify';
import { problem, type CountHttpError } from './errors.js';

/** A refusal written where no fastify reply exists: on a raw socket, or on Node's own response object. */
export interface SocketProblem {
  status: number;
  code: ErrorCode;
  detail: string;
  headers?: Record<string, string>;
}

function problemHead({ status, code, detail, headers = {} }: SocketProblem): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(problem(status, code, detail));
  return { body, headers: { 'content-type': problemContentType, 'content-length': String(Buffer.byteLength(body)), connection: 'close', ...headers } };
}

/** The whole HTTP/1.1 answer, to write on a socket before closing it. */
function rawAnswer(refusal: SocketProblem): string {
  const { body, headers } = problemHead(refusal);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${lines.join('')}\r\n${body}`;
}

/** Answers on a socket that carries no request any more (a refused upgrade), then closes it once written. */
export function refuseSocket(count: CountHttpError) {
  return (socket: Duplex, refusal: SocketProblem): void => {
    count(refusal.status, refusal.code);
    socket.end(rawAnswer(refusal), () => socket.destroy());
  };
}

/** What Node's parser errors mean (lib/_http_server.js answers the same statuses, without a body). */
function parserRefusal(error: ConnectionError): SocketProblem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: errorCodes.headersTooLarge, detail: 'the request line and headers exceed the limit (16 KiB)' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: errorCodes.oversize, detail: 'the chunk extensions exceed the limit' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: errorCodes.requestTimeout, detail: 'the request did not arrive in time (http.requestTimeout)' };
    default:
      return { status: 400, code: errorCodes.badRequest, detail: `the request is not valid HTTP (${error.code ?? 'parse error'})` };
  }
}

/**
 * fastify's `clientErrorHandler`, for what Node refuses before any request exists (its 'clientError': a
 * header overflow, a malformed request, a timeout). As Node does by default, the answer is written on the
 * socket unless a response has already begun on it, and the socket is destroyed.
 */
export function clientErrorHandler(count: CountHttpError) {
  return (error: ConnectionError, socket: Duplex): void => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const refusal = parserRefusal(error);
      count(refusal.status, refusal.code);
      socket.write(rawAnswer(refusal));
    }
    socket.destroy(error);
  };
}

/**
 * Node answers two requests itself, with an empty body, unless the server listens for them: an `Expect`
 * other than `100-continue` (417), and CONNECT, which it would just drop (this is no proxy: 405, and an
 * empty `Allow`, RFC 9110 §10.2.1, since the target of a CONNECT is no resource here).
 */
export function answerNodeRefusals(server: Server, count: CountHttpError): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const { body, headers } = problemHead({ status: 417, code: errorCodes.expectationFailed, detail: `cannot meet Expect: ${request.headers.expect}` });
    count(417, errorCodes.expectationFailed);
    response.writeHead(417, headers).end(body);
  });
  const refuse = refuseSocket(count);
  server.on('connect', (_request: IncomingMessage, socket: Duplex) =>
    refuse(socket, { status: 405, code: errorCodes.methodNotAllowed, detail: 'CONNECT is not served: this is no proxy', headers: { allow: '' } }),
  );
}
