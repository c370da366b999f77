import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveReader } from '../../core/report/archive';

/**
 * Reads the audit archive (the Object Lock bucket lambdas/audit-export writes) for verification.
 * The latest version of a key is the one read: the bucket is versioned, and every export of the
 * same execution writes the same complete record. Needs `s3:GetObject` only (the auditor policy).
 */
export class S3ArchiveReader implements ArchiveReader {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client,
  ) {}

  async get(key: string): Promise<{ body: string; location: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = (await out.Body?.transformToString('utf8')) ?? '';
      return { body, location: `s3://${this.bucket}/${key}${out.VersionId ? `?versionId=${out.VersionId}` : ''}` };
    } catch (err) {
      // A deleted object (delete marker) reads as NoSuchKey too: the verification calls it missing.
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }
}
