import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { createCa, createDeviceCertificate, createServerCertificate, type Pem } from '../certs/dev-certificates.js';

async function writePem(dir: string, name: string, pem: Pem): Promise<void> {
  await writeFile(join(dir, `${name}.crt`), pem.cert);
  await writeFile(join(dir, `${name}.key`), pem.key, { mode: 0o600 });
}

async function readCa(dir: string): Promise<Pem> {
  return { cert: await readFile(join(dir, 'ca.crt'), 'utf8'), key: await readFile(join(dir, 'ca.key'), 'utf8') };
}

/** `parcours certs create|device`: development certificates for the TLS listener and devices. */
export function certsCommand(): Command {
  const certs = new Command('certs').description('Development TLS certificates (use your own PKI in production).');

  certs
    .command('create')
    .description('Create a CA and a broker certificate signed by it (ca.crt/key, server.crt/key in --out).')
    .option('--out <dir>', 'folder to write to', './data/certs')
    .option('--host <name...>', 'host names and IP addresses the broker is reached at', ['localhost', '127.0.0.1'])
    .action(async (options: { out: string; host: string[] }) => {
      await mkdir(options.out, { recursive: true });
      const ca = createCa();
      await writePem(options.out, 'ca', ca);
      await writePem(options.out, 'server', createServerCertificate(ca, options.host));
      process.stdout.write(
        `wrote ${options.out}/{ca,server}.{crt,key}; start with PARCOURS_MQTT_TLS_CERT=${options.out}/server.crt PARCOURS_MQTT_TLS_KEY=${options.out}/server.key PARCOURS_MQTT_TLS_CA=${options.out}/ca.crt\n`,
      );
    });

  certs
    .command('device <deviceId>')
    .description('Create a client certificate for a device (CN = device id), signed by the CA of `certs create`.')
    .option('--ca <dir>', 'folder holding ca.crt and ca.key', './data/certs')
    .option('--out <dir>', 'folder to write <deviceId>.crt/.key to', './data/certs')
    .action(async (deviceId: string, options: { ca: string; out: string }) => {
      await mkdir(options.out, { recursive: true });
      await writePem(options.out, deviceId, createDeviceCertificate(await readCa(options.ca), deviceId));
      process.stdout.write(`wrote ${options.out}/${deviceId}.{crt,key}\n`);
    });
  return certs;
}
