import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createPiiCipher, PiiDecryptionError } from '../../../adapters/postgres/piiCipher.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const nikHashKey = randomBytes(32);
const NIK = '3171014101900001';
const CONTEXT = 'document:7f2c/nik';

const cipherWith = (keys: Record<string, Buffer>, activeKeyId: string, hashKey = nikHashKey) =>
  createPiiCipher({ keys: new Map(Object.entries(keys)), activeKeyId, nikHashKey: hashKey });

describe('the PII cipher', () => {
  const cipher = cipherWith({ k1 }, 'k1');

  it('should decrypt what it encrypted', () => {
    for (const plaintext of [NIK, '', 'Jl. Merdeka No. 1, RT 001/RW 002 — Jakarta Pusat', '名前 🙂']) {
      assert.equal(cipher.decrypt(cipher.encrypt(plaintext, CONTEXT), CONTEXT), plaintext);
    }
  });

  it('should not contain the plaintext in the ciphertext', () => {
    const ciphertext = cipher.encrypt(NIK, CONTEXT);
    assert.equal(ciphertext.includes(Buffer.from(NIK)), false);
    assert.equal(ciphertext.toString('latin1').includes(NIK), false);
    assert.equal(ciphertext.includes(Buffer.from(NIK.slice(0, 8))), false);
  });

  it('should use a fresh IV for every encryption', () => {
    assert.notDeepEqual(cipher.encrypt(NIK, CONTEXT), cipher.encrypt(NIK, CONTEXT));
  });

  it('should refuse a ciphertext with any one byte changed', () => {
    const ciphertext = cipher.encrypt(NIK, CONTEXT);
    // Every byte after the format and key id: IV, tag and body.
    for (let index = 2 + 'k1'.length; index < ciphertext.length; index++) {
      const tampered = Buffer.from(ciphertext);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      assert.throws(() => cipher.decrypt(tampered, CONTEXT), PiiDecryptionError, `byte ${index}`);
    }
  });

  it('should refuse a truncated ciphertext or an unknown format', () => {
    const ciphertext = cipher.encrypt(NIK, CONTEXT);
    assert.throws(() => cipher.decrypt(ciphertext.subarray(0, ciphertext.length - 1), CONTEXT), PiiDecryptionError);
    assert.throws(() => cipher.decrypt(Buffer.alloc(0), CONTEXT), PiiDecryptionError);
    const otherFormat = Buffer.from(ciphertext);
    otherFormat[0] = 0x02;
    assert.throws(() => cipher.decrypt(otherFormat, CONTEXT), PiiDecryptionError);
  });

  it('should refuse a ciphertext cut at any length with PiiDecryptionError', {}, () => {
    const ciphertext = cipher.encrypt(NIK, CONTEXT);
    for (let length = 0; length < ciphertext.length; length++)
      assert.throws(() => cipher.decrypt(ciphertext.subarray(0, length), CONTEXT), PiiDecryptionError, `${length}`);
  });

  it('should refuse a ciphertext read under another context', () => {
    const ciphertext = cipher.encrypt(NIK, CONTEXT);
    for (const context of ['document:7f2c/npwp', 'document:0000/nik', ''])
      assert.throws(() => cipher.decrypt(ciphertext, context), PiiDecryptionError, context);
  });

  it('should refuse to start with an active key that is not configured', () => {
    assert.throws(() => cipherWith({ k1 }, 'k2'), /"k2"/);
  });

  describe('key rotation', () => {
    const before = cipherWith({ k1 }, 'k1');
    const old = before.encrypt(NIK, CONTEXT);

    it('should still read values written with the previous key', () => {
      const after = cipherWith({ k1, k2 }, 'k2');
      assert.equal(after.activeKeyId, 'k2');
      assert.equal(after.decrypt(old, CONTEXT), NIK);
      const fresh = after.encrypt(NIK, CONTEXT);
      assert.equal(after.decrypt(fresh, CONTEXT), NIK);
      assert.throws(() => before.decrypt(fresh, CONTEXT), /"k2"/, 'new values use the new key');
    });

    it('should name the missing key id when the previous key was removed', () => {
      const without = cipherWith({ k2 }, 'k2');
      assert.throws(
        () => without.decrypt(old, CONTEXT),
        (error: unknown) => error instanceof PiiDecryptionError && error.message.includes('"k1"'),
      );
    });

    it('should fail authentication when a key id points at different key material', () => {
      const swapped = cipherWith({ k1: k2 }, 'k1');
      assert.throws(() => swapped.decrypt(old, CONTEXT), PiiDecryptionError);
    });
  });

  describe('hashNik', () => {
    it('should be deterministic', () => {
      assert.deepEqual(cipher.hashNik(NIK), cipher.hashNik(NIK));
      assert.equal(cipher.hashNik(NIK).length, 32);
    });

    it('should ignore everything but digits', () => {
      for (const written of [
        '3171 0141 0190 0001',
        '3171-0141-0190-0001',
        ' 3171.014101.900001\n',
        'NIK: 3171014101900001',
      ])
        assert.deepEqual(cipher.hashNik(written), cipher.hashNik(NIK), written);
    });

    it('should differ for different NIKs', () => {
      assert.notDeepEqual(cipher.hashNik(NIK), cipher.hashNik('3171014101900002'));
    });

    it('should differ per hash key', () => {
      const other = cipherWith({ k1 }, 'k1', randomBytes(32));
      assert.notDeepEqual(other.hashNik(NIK), cipher.hashNik(NIK));
    });

    it('should not depend on the encryption keys', () => {
      assert.deepEqual(cipherWith({ k2 }, 'k2').hashNik(NIK), cipher.hashNik(NIK));
    });
  });
});
