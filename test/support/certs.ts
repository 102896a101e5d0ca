// Certificates for mutual-TLS tests, made with the openssl command line: a CA, a server certificate
// for 127.0.0.1, client certificates it signed, and one signed by a CA nobody trusts.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pem {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the DER certificate, lower-case hex (as navbridge's `inbound.certificates`). */
  fingerprint: string;
}

export interface TestPki {
  dir: string;
  ca: Buffer;
  caFile: string;
  server: Pem & { certFile: string; keyFile: string };
  client(name: string): Pem;
  /** A client certificate from another CA. */
  rogue: Pem;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function pem(dir: string, name: string): Pem {
  const cert = readFileSync(path.join(dir, `${name}.crt`));
  const der = new X509Certificate(cert).raw;
  return {
    cert,
    key: readFileSync(path.join(dir, `${name}.key`)),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
}

function sign(dir: string, ca: string, name: string, ext: string): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  writeExt(dir, name, ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

function writeExt(dir: string, name: string, ext: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  sign(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  sign(dir, 'rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth');
  const made = new Set<string>();
  return {
    dir,
    ca: readFileSync(path.join(dir, 'ca.crt')),
    caFile: path.join(dir, 'ca.crt'),
    server: {
      ...pem(dir, 'server'),
      certFile: path.join(dir, 'server.crt'),
      keyFile: path.join(dir, 'server.key'),
    },
    client(name) {
      if (!made.has(name)) {
        sign(dir, 'ca', name, 'extendedKeyUsage=clientAuth');
        made.add(name);
      }
      return pem(dir, name);
    },
    rogue: pem(dir, 'rogue'),
  };
}
