import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { CodedError } from '../../runtime/errors.ts';

/**
 * AES-256-GCM for PII columns. A ciphertext is self-describing:
 *
 *   [format 0x01][key id length][key id][12-byte IV][16-byte tag][ciphertext]
 *
 * so old rows stay readable after the active key changes, as long as the old key stays configured.
 * The associated data binds a ciphertext to its document and column: a value copied to another row
 * or column fails to decrypt instead of being read as someone else's.
 */

const FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PiiDecryptionError extends CodedError<'pii_decryption'> {
  constructor(message: string, options?: ErrorOptions) {
    super('pii_decryption', message, options);
  }
}

export type PiiCipher = {
  activeKeyId: string;
  encrypt(plaintext: string, context: string): Buffer;
  decrypt(ciphertext: Buffer, context: string): string;
  /** Keyed hash of a normalised NIK (digits only): equal NIKs give equal hashes, nothing else leaks. */
  hashNik(nik: string): Buffer;
};

export function createPiiCipher(options: {
  keys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
  nikHashKey: Buffer;
}): PiiCipher {
  const activeKey = options.keys.get(options.activeKeyId);
  if (!activeKey) throw new Error(`PII key "${options.activeKeyId}" is not configured`);
  const activeKeyIdBytes = Buffer.from(options.activeKeyId, 'utf8');
  // A KeyObject is imported into OpenSSL once; a Buffer key is imported again on every call.
  const activeKeyObject = createSecretKey(activeKey);
  const nikHashKeyObject = createSecretKey(options.nikHashKey);
  const keyObjects = new Map([...options.keys].map(([id, key]) => [id, createSecretKey(key)]));

  return {
    activeKeyId: options.activeKeyId,
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', activeKeyObject, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([
        Buffer.from([FORMAT, activeKeyIdBytes.length]),
        activeKeyIdBytes,
        iv,
        cipher.getAuthTag(),
        body,
      ]);
    },
    decrypt(ciphertext, context) {
      if (ciphertext.length < 2 || ciphertext[0] !== FORMAT) throw new PiiDecryptionError('Unknown ciphertext format');
      const keyIdEnd = 2 + (ciphertext[1] as number);
      if (ciphertext.length < keyIdEnd + IV_BYTES + TAG_BYTES) throw new PiiDecryptionError('Ciphertext is truncated');
      const keyId = ciphertext.subarray(2, keyIdEnd).toString('utf8');
      const key = keyObjects.get(keyId);
      if (!key) throw new PiiDecryptionError(`PII key "${keyId}" is not configured; it is needed to read this value`);
      const iv = ciphertext.subarray(keyIdEnd, keyIdEnd + IV_BYTES);
      const tag = ciphertext.subarray(keyIdEnd + IV_BYTES, keyIdEnd + IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([
          decipher.update(ciphertext.subarray(keyIdEnd + IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (error) {
        throw new PiiDecryptionError('PII ciphertext failed authentication', { cause: error });
      }
    },
    hashNik(nik) {
      return createHmac('sha256', nikHashKeyObject).update(nik.replace(/\D/g, '')).digest();
    },
  };
}
