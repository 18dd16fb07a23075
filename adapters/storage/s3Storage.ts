import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DocumentStorage } from '../../runtime/ports.ts';

export type S3StorageOptions = {
  bucket: string;
  region: string;
  /** For S3-compatible services (Cloudflare R2, MinIO); omitted for AWS itself. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible services need. */
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

/**
 * Uploaded files in an S3 bucket, one object per key (`documents/<uuid>`). Objects are written
 * private (no ACL is ever granted) with server-side encryption requested where the service
 * supports it; reviewers see images only through the API.
 */
/**
 * How long one S3 call may take. The SDK waits forever by default, and an upload waits on `put`
 * (2 MB at most) before it answers, so a bucket that stops answering would hold every upload. Two
 * attempts: a slow or failing call answers the client within about 2 × (connect + request).
 */
export const S3_TIMEOUTS = { connectMs: 2000, requestMs: 10_000, maxAttempts: 2 } as const;

export function createS3Storage(
  options: S3StorageOptions,
  timeouts: { connectMs: number; requestMs: number; maxAttempts: number } = S3_TIMEOUTS,
): DocumentStorage & { close(): void } {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    maxAttempts: timeouts.maxAttempts,
    requestHandler: {
      connectionTimeout: timeouts.connectMs,
      requestTimeout: timeouts.requestMs,
      throwOnRequestTimeout: true,
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return {
    async put(key, body) {
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          // Identity documents: never cached by anything between us and the bucket.
          CacheControl: 'no-store',
        }),
      );
    },
    async get(key) {
      const response = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
      if (!response.Body) throw new Error(`Storage object "${key}" has no body`);
      return Buffer.from(await response.Body.transformToByteArray());
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
    },
    close() {
      client.destroy();
    },
  };
}
