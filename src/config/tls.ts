// The PEM files navbridge terminates TLS with (navbridge.config.yaml `http.tls`), read at start-up so
// a missing or unreadable file stops the process with its name, not the first handshake.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configError } from '../errors/index.js';
import type { TlsSettings } from '../settings/http.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  clientCertificates: TlsSettings['clientCertificates'];
}

export function loadTlsMaterial(tls: TlsSettings, configDir: string): TlsMaterial {
  const read = (key: 'certFile' | 'keyFile' | 'caFile', file: string): Buffer => {
    try {
      return readFileSync(path.resolve(configDir, file));
    } catch (err) {
      throw configError(
        `http.tls.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        {
          expression: `http.tls.${key}`,
        },
      );
    }
  };
  return {
    cert: read('certFile', tls.certFile),
    key: read('keyFile', tls.keyFile),
    ...(tls.caFile ? { ca: read('caFile', tls.caFile) } : {}),
    clientCertificates: tls.clientCertificates,
  };
}
