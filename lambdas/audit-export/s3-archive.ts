import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditArchive } from '../core/report/archive';

/**
 * The audit archive on S3. Object Lock retention comes from the bucket's default rule, so this
 * writer needs no `s3:PutObjectRetention`; the SDK's checksum satisfies Object Lock's
 * integrity-header requirement. Every write is a new version: nothing is overwritten.
 */
export class S3AuditArchive implements AuditArchive {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client,
  ) {}

  async put(key: string, body: string, contentType: string): Promise<{ location: string; versionId?: string }> {
    const out = await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return { location: `s3://${this.bucket}/${key}`, ...(out.VersionId ? { versionId: out.VersionId } : {}) };
  }
}
