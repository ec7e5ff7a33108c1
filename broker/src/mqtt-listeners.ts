import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { errorCodes, type Config, type ErrorCode } from '@parcours/contracts';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { ListenerName } from './broker-metrics.js';
import type { PendingSocket, PendingSockets } from './pending-sockets.js';

/** Hands a connection a listener admitted to the broker: its MQTT stream, and the socket under it. */
export type AcceptConnection = (stream: Duplex, listener: ListenerName, socket: Socket, pending: PendingSocket, request?: IncomingMessage) => void;

/** How the API answers a WebSocket upgrade it refuses. */
export type RefuseUpgrade = (socket: Duplex, refusal: { status: number; code: ErrorCode; detail: string; headers?: Record<string, string> }) => void;

export interface MqttListenersOptions {
  config: Pick<Config['mqtt'], 'host' | 'port' | 'tlsPort' | 'tlsCert' | 'tlsKey' | 'tlsCa' | 'connectTimeout' | 'wsPath' | 'maxPacketSize'>;
  /** Every socket a listener accepts is pending until its client logs in; one past a cap is closed at once. */
  pending: Pick<PendingSockets, 'admit' | 'admitTls' | 'tlsHandshakeDone'>;
  accept: AcceptConnection;
  /** Told of each WebSocket message refused for its size. */
  onOversizedMessage: () => void;
  log: Logger;
}

/** An MQTT fixed header is at most 5 bytes: a message holding one packet of the largest size fits in this much more. */
const maxFixedHeaderBytes = 5;

/** The broker's TCP and TLS servers, and its WebSocket endpoint on the API's HTTP server. */
export class MqttListeners {
  private servers: Partial<Record<'tcp' | 'tls', Server>> = {};
  private webSockets: WebSocketServer | null = null;

  constructor(private readonly options: MqttListenersOptions) {}

  port(name: 'tcp' | 'tls'): number {
    return (this.servers[name]?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Opens the TCP listener, and the TLS one when a certificate and its key are configured. */
  async start(): Promise<void> {
    const { config, pending, accept } = this.options;
    this.servers.tcp = createTcpServer((socket) => {
      const admitted = pending.admit(socket, 'tcp');
      if (admitted) accept(socket, 'tcp', socket, admitted);
    });
    await this.listen(this.servers.tcp, config.port, 'tcp');
    if (config.tlsCert && config.tlsKey) {
      const [cert, key, ca] = await Promise.all([readFile(config.tlsCert), readFile(config.tlsKey), config.tlsCa ? readFile(config.tlsCa) : undefined]);
      // Client certificates are optional (rejectUnauthorized false): a device may also log in with its secret over TLS.
      const options = { cert, key, ...(ca ? { ca, requestCert: true } : {}), rejectUnauthorized: false, handshakeTimeout: config.connectTimeout };
      this.servers.tls = createTlsServer(options, (socket) => {
        const admitted = pending.tlsHandshakeDone(socket);
        if (admitted) accept(socket, 'tls', socket, admitted);
        else socket.destroy();
      });
      this.servers.tls.on('connection', (socket: Socket) => pending.admitTls(socket));
      await this.listen(this.servers.tls, config.tlsPort, 'tls');
    }
  }

  /**
   * Serves MQTT over WebSocket on an HTTP server (the API's), at `mqtt.wsPath`; `refuse` answers an upgrade
   * elsewhere, or a failed handshake, as the API answers its errors.
   */
  attachWebSocket(server: HttpServer, refuse: RefuseUpgrade): void {
    const { config, pending, accept } = this.options;
    const path = config.wsPath;
    if (!path) return;
    // ws buffers a whole message before handing it on (100 MiB by default): bounded by the packet size, a
    // larger one closes the connection with 1009 as it arrives.
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxPacketSize + maxFixedHeaderBytes,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    this.webSockets = wss;
    // A handshake is a GET (RFC 6455 §4.1); ws's reason names the header at fault.
    wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) =>
      refuse(
        socket,
        request.method === 'GET'
          ? { status: 400, code: errorCodes.badRequest, detail: error.message }
          : { status: 405, code: errorCodes.methodNotAllowed, detail: error.message, headers: { allow: 'GET' } },
      ),
    );
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(request.url ?? '/', 'http://x').pathname !== path) {
        refuse(socket, { status: 404, code: errorCodes.noRoute, detail: `no WebSocket endpoint here; MQTT over WebSocket is at ${path}` });
        return;
      }
      const admitted = pending.admit(socket, 'ws');
      if (!admitted) return;
      wss.handleUpgrade(request, socket, head, (ws) => {
        ws.on('error', (error: Error & { code?: string }) => {
          if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.options.onOversizedMessage();
        });
        accept(createWebSocketStream(ws), 'ws', request.socket, admitted, request);
      });
    });
  }

  /**
   * Closes the listeners once `clientsClosed` resolves (a server's close waits for its connections, which
   * aedes ends); their ports read 0 from the call on.
   */
  async close(clientsClosed: Promise<void>): Promise<void> {
    const { servers, webSockets } = this;
    this.servers = {};
    this.webSockets = null;
    await clientsClosed;
    for (const client of webSockets?.clients ?? []) client.terminate();
    webSockets?.close();
    await Promise.all(Object.values(servers).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  private async listen(server: Server, port: number, name: ListenerName): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.config.host, () => resolve());
    });
    this.options.log.info({ listener: name, port: (server.address() as AddressInfo).port }, 'MQTT listener open');
  }
}
