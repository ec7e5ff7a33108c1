import type { Health, PartHealth } from '@parcours/contracts';
import { buildHttpApp, refuseSocket, type HttpApp, type HttpAppDeps, type SocketProblem } from '@parcours/gateway';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Part } from './lifecycle/parts.js';

export interface HttpServerOptions extends Omit<HttpAppDeps, 'health' | 'routes'> {
  host: string;
  port: number;
  /** Every part's health, for `/healthz`. */
  health: () => Health['parts'];
  /** The route plugins, asked for when the server starts (the parts that serve them are built by then). */
  routes: () => HttpAppDeps['routes'];
  /**
   * Called with the HTTP server before it listens (MQTT over WebSocket shares it), and how to refuse an
   * upgrade it does not serve, as the API answers its errors.
   */
  onServer?: (server: Server, refuse: (socket: Duplex, refusal: SocketProblem) => void) => void;
}

/** The HTTP API as a part: built and listening on start, closed on stop. */
export class HttpServer implements Part {
  private app: HttpApp | null = null;

  constructor(private readonly options: HttpServerOptions) {}

  /** The port it listens on (0 before it does). */
  get port(): number {
    return (this.app?.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const { host, port, health, routes, onServer, ...deps } = this.options;
    const app = await buildHttpApp({ ...deps, routes: routes(), health: () => health() });
    this.app = app;
    onServer?.(app.server, refuseSocket(deps.countError));
    await app.listen({ host, port });
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }

  health(): PartHealth {
    return { ok: this.app?.server.listening ?? false, port: this.port };
  }
}
