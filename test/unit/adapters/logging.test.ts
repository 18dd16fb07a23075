import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, defaultLogFormat, type LogFormat } from '../../../adapters/logging/logger.ts';
import { maskPii } from '../../../adapters/logging/maskPii.ts';

const NIK = '3171014101900001';
const NPWP = '01.234.567.8-901.000';
const PHONE = '+62 812-3456-7890';
const EMAIL = 'budi.santoso@example.com';
const DOCUMENT_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('maskPii', () => {
  it('should mask a NIK, contiguous or grouped, to its last four digits', () => {
    for (const written of [
      NIK,
      '3171 0141 0190 0001',
      '317101.410190.0001',
      '3171-0141-0190-0001',
      '3171/0141/0190/0001',
    ])
      assert.equal(maskPii(`NIK ${written}.`), 'NIK ************0001.', written);
  });

  it('should mask an NPWP, dotted or plain', () => {
    assert.equal(maskPii(`NPWP ${NPWP}`), 'NPWP ***********1000');
    assert.equal(maskPii('NPWP 012345678901000'), 'NPWP ***********1000');
    assert.equal(maskPii('NPWP 0123456789012345'), 'NPWP ************2345');
  });

  it('should mask Indonesian phone numbers with or without separators', () => {
    assert.equal(maskPii(`call ${PHONE}`), 'call *********7890');
    assert.equal(maskPii('call 081234567890'), 'call ********7890');
    assert.equal(maskPii('call 0812.3456.789'), 'call *******6789');
    assert.equal(maskPii('call 6281234567890 now'), 'call *********7890 now');
  });

  it('should keep only the first letter and the domain of an e-mail address', () => {
    assert.equal(maskPii(`mail ${EMAIL}, please`), 'mail b***@example.com, please');
    assert.equal(maskPii('x 081234567890@mail.co.id'), 'x 0***@mail.co.id');
  });

  it('should redact values under PII and secret keys, whatever their case or shape', () => {
    assert.deepEqual(
      maskPii({
        nama: 'BUDI SANTOSO',
        FullName: 'Budi Santoso',
        tempat_lahir: 'JAKARTA',
        alamat: { jalan: 'JL. MAWAR 1' },
        fields: { nik: NIK },
        lines: ['PROVINSI DKI JAKARTA'],
        Authorization: 'Bearer abc',
        apiKey: 'k',
        password: 'p',
        cookie: 'sid=1',
        status: 'ready',
      }),
      {
        nama: '[redacted]',
        FullName: '[redacted]',
        tempat_lahir: '[redacted]',
        alamat: '[redacted]',
        fields: '[redacted]',
        lines: '[redacted]',
        Authorization: '[redacted]',
        apiKey: '[redacted]',
        password: '[redacted]',
        cookie: '[redacted]',
        status: 'ready',
      },
    );
  });

  it('should mask nested objects, arrays and Error messages', () => {
    const cause = new Error(`lookup of ${NIK} failed`);
    const error = Object.assign(new Error(`NIK ${NIK} rejected`, { cause }), { code: 'E_NIK' });
    const masked = maskPii({ a: [{ b: [`tel ${PHONE}`] }, { user: { name: 'Budi' } }], error }) as {
      a: unknown;
      error: Record<string, unknown>;
    };
    assert.deepEqual(masked.a, [{ b: ['tel *********7890'] }, { user: { name: '[redacted]' } }]);
    assert.equal(masked.error.name, 'Error');
    assert.equal(masked.error.message, 'NIK ************0001 rejected');
    assert.equal(masked.error.code, 'E_NIK');
    assert.equal(JSON.stringify(masked).includes(NIK), false);
    assert.equal(JSON.stringify(masked).includes('lookup of ************0001 failed'), true);
  });

  it('should not modify its input', () => {
    const input = { note: `NIK ${NIK}`, nested: { nama: 'BUDI', list: [EMAIL] } };
    const copy = structuredClone(input);
    maskPii(input);
    assert.deepEqual(input, copy);
  });

  it('should leave UUIDs, ISO timestamps, stream ids, durations, counts and ports alone', () => {
    const ids = {
      documentId: DOCUMENT_ID,
      allDigitUuid: '12345678-1234-4123-8123-123456789012',
      at: '2026-01-31T12:34:56.789Z',
      localAt: '2026-01-31 12:34:56+07:00',
      messageId: '1795594566374-0',
      longSequence: '1795594566374-12',
      durationMs: 1234,
      duration: '1234ms',
      count: 42,
      port: 3000,
      statusCode: 404,
      epochMs: 1795594566374,
      sha: 'a3f1234567890123456bcd',
      score: 0.8123456789,
    };
    assert.deepEqual(maskPii(ids), ids);
    const text = `doc ${DOCUMENT_ID} at 2026-01-31T12:34:56.789Z stream 1795594566374-0 took 1234ms, 3 of 16 pages, HTTP 503, port 3000, RT 001/RW 002`;
    assert.equal(maskPii(text), text);
  });
});

/** A stream that keeps what is written to it. */
function memoryStream() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

type AnyEventLogger = Record<
  'debug' | 'info' | 'warn' | 'error',
  (event: string, fields?: Record<string, unknown>) => void
> & {
  close(): void;
};

/** Writes the same PII-laden events as the JSON test below, in `format`, and returns the output. */
async function writeSample(format: LogFormat, colours = false): Promise<string> {
  const { stream, text } = memoryStream();
  const logger = createLogger({ level: 'debug', stream, format, colours }) as unknown as AnyEventLogger;
  logger.info(`ocr.read NIK ${NIK}`, { documentId: DOCUMENT_ID, nama: 'BUDI SANTOSO', detail: { nik: NIK } });
  logger.warn('review.note', { documentId: DOCUMENT_ID, note: `NPWP ${NPWP}, tel ${PHONE}, mail ${EMAIL}` });
  logger.error('ocr.failed', { documentId: DOCUMENT_ID, error: new Error(`could not parse ${NIK}`) });
  logger.debug('sweeper.recovered', { requeued: 2, redisLost: true, values: [{ nama: 'BUDI SANTOSO' }] });
  await new Promise((resolve) => setImmediate(resolve));
  logger.close();
  return text();
}

describe('log formats', () => {
  it('should default to pretty only for a developer at a terminal', () => {
    assert.equal(defaultLogFormat({ nodeEnv: 'development', stdoutIsTty: true }), 'pretty');
    assert.equal(defaultLogFormat({ nodeEnv: 'development', stdoutIsTty: false }), 'json', 'piped or collected');
    assert.equal(defaultLogFormat({ nodeEnv: 'production', stdoutIsTty: true }), 'json');
    assert.equal(defaultLogFormat({ nodeEnv: 'test', stdoutIsTty: true }), 'json');
  });

  it('should write JSON lines unless asked for pretty ones', async () => {
    const { stream, text } = memoryStream();
    const logger = createLogger({ level: 'info', stream });
    logger.info('server.listening', { port: 3000 });
    await new Promise((resolve) => setImmediate(resolve));
    logger.close();
    assert.equal((JSON.parse(text()) as { message: string }).message, 'server.listening');
  });

  it('should write one readable line per event: time, level, event, fields', async () => {
    const lines = (await writeSample('pretty')).trimEnd().split('\n');
    const heads = lines.filter((line) => /^\d{2}:\d{2}:\d{2}\.\d{3} /.test(line));
    assert.equal(heads.length, 4);
    assert.match(
      heads[0] ?? '',
      /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}ocr\.read NIK \*+0001 documentId=[0-9a-f-]{36} nama=\[redacted\] /,
    );
    assert.match(heads[1] ?? '', / WARN {2}review\.note documentId=\S+ note="NPWP \*+1000, tel /);
    assert.match(heads[2] ?? '', / ERROR ocr\.failed documentId=\S+ error="could not parse \*+0001"$/);
    assert.match(
      heads[3] ?? '',
      / DEBUG sweeper\.recovered requeued=2 redisLost=true values=\[\{"nama":"\[redacted\]"\}\]$/,
    );
    // The error's stack follows its line, indented.
    const stack = lines.slice(lines.indexOf(heads[2] as string) + 1, lines.indexOf(heads[3] as string));
    assert.match(stack[0] ?? '', /^ {4}Error: could not parse \*+0001$/);
    assert.ok(stack.slice(1).every((line) => line.startsWith('        at ')));
    assert.equal(
      lines.some((line) => line.includes('service=')),
      false,
      'the service name is not repeated',
    );
  });

  for (const [format, colours] of [
    ['json', false],
    ['pretty', false],
    ['pretty', true],
  ] as const)
    it(`should mask the same PII in ${format} lines${colours ? ' with colours' : ''}`, async () => {
      const output = await writeSample(format, colours);
      for (const pii of [NIK, NPWP, PHONE, EMAIL, 'BUDI SANTOSO', '8123456', 'santoso'])
        assert.equal(output.includes(pii), false, pii);
      assert.ok(output.includes(DOCUMENT_ID), 'ids stay readable');
    });

  it('should colour the level only when asked (a terminal)', async () => {
    const esc = String.fromCharCode(27);
    assert.equal((await writeSample('pretty', false)).includes(esc), false);
    const coloured = await writeSample('pretty', true);
    assert.match(coloured, new RegExp(`${esc}\\[\\d+mWARN ${esc}\\[39m review\\.note`));
  });
});

describe('createLogger', () => {
  it('should write no NIK, NPWP, phone number, e-mail address or name, but keep document ids', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    // Event names outside the catalogue: the masking must hold for whatever a caller writes.
    const logger = createLogger({ level: 'debug', stream }) as unknown as Record<
      'debug' | 'info' | 'warn' | 'error',
      (event: string, fields?: Record<string, unknown>) => void
    > & { close(): void };
    const fields = { documentId: DOCUMENT_ID, nama: 'BUDI SANTOSO', detail: { nik: NIK } };
    logger.info(`ocr.read NIK ${NIK}`, fields);
    logger.warn('review.note', { documentId: DOCUMENT_ID, note: `NPWP ${NPWP}, tel ${PHONE}, mail ${EMAIL}` });
    logger.error('ocr.failed', { documentId: DOCUMENT_ID, error: new Error(`could not parse ${NIK}`) });
    logger.debug('ocr.fields', { documentId: DOCUMENT_ID, values: [{ nama: 'BUDI SANTOSO' }, `${EMAIL}`] });
    await new Promise((resolve) => setImmediate(resolve));
    logger.close();

    const output = chunks.join('');
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 4);
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(parsed.documentId, DOCUMENT_ID);
      assert.equal(parsed.service, 'filot-kyc');
      assert.match(String(parsed.timestamp), /^\d{4}-\d{2}-\d{2}T/);
    }
    for (const pii of [NIK, NPWP, PHONE, EMAIL, 'BUDI SANTOSO', '8123456', 'santoso'])
      assert.equal(output.includes(pii), false, pii);
    assert.equal(fields.nama, 'BUDI SANTOSO', 'the caller’s fields are untouched');
    assert.equal(fields.detail.nik, NIK);
  });
});
