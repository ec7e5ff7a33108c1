import { createServer } from 'node:net';
import { Aedes } from 'aedes';

/** The baseline broker of the benchmark: aedes with no hook at all, on the port given, in its own process. */
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\n'));
