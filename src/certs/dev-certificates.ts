import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface Pem {
  cert: string;
  key: string;
}

const validityDays = { ca: 3650, leaf: 825 } as const;

function newCertificate(subjectCn: string, days: number): { cert: forge.pki.Certificate; keys: forge.pki.rsa.KeyPair } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive random serial (RFC 5280 §4.1.2.2): the high bit cleared so it is not read as negative.
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  cert.setSubject([
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: 'Parcours development' },
  ]);
  return { cert, keys };
}

const toPem = (cert: forge.pki.Certificate, keys: forge.pki.rsa.KeyPair): Pem => ({
  cert: forge.pki.certificateToPem(cert),
  key: forge.pki.privateKeyToPem(keys.privateKey),
});

/** A development certificate authority, to sign the broker's certificate and devices' client certificates. */
export function createCa(): Pem {
  const { cert, keys } = newCertificate('Parcours development CA', validityDays.ca);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return toPem(cert, keys);
}

function signLeaf(ca: Pem, cn: string, extensions: object[]): Pem {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const { cert, keys } = newCertificate(cn, validityDays.leaf);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, ...extensions]);
  cert.sign(caKey, forge.md.sha256.create());
  return toPem(cert, keys);
}

/** The broker's server certificate, valid for these host names and IP addresses. */
export function createServerCertificate(ca: Pem, hosts: readonly string[]): Pem {
  const altNames = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  return signLeaf(ca, hosts[0] ?? 'localhost', [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
}

/** A device's client certificate: its CN is the device id, which the broker authenticates it as. */
export function createDeviceCertificate(ca: Pem, deviceId: string): Pem {
  return signLeaf(ca, deviceId, [
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
}
