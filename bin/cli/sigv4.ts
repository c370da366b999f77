import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { CliError, EXIT } from './errors';

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape SignatureV4 takes (`Checksum`). */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
}

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}
/** Returns the request's headers with the SigV4 ones added (Authorization, X-Amz-Date, X-Amz-Security-Token). */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

/** The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/prod`), if it is one. */
export function regionOfApiUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
}

type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/**
 * Signs control API requests with SigV4 for API Gateway (`execute-api`), with the caller's AWS
 * credentials from the standard chain (environment, AWS_PROFILE / SSO / shared files, web
 * identity, container or instance role): who you are on AWS is who golive says you are.
 */
export function sigV4Signer(region: string, credentials: Credentials = defaultProvider()): RequestSigner {
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: NodeSha256 });
  return async ({ method, url, headers, body }) => {
    try {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers, host: url.host },
        ...(body === undefined ? {} : { body }),
      });
      return signed.headers;
    } catch (err) {
      throw new CliError(
        `cannot sign the request to ${url.origin} with AWS credentials: ${(err as Error).message}. ` +
          'Configure them as for the AWS CLI (aws configure, AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).',
        EXIT.usage,
      );
    }
  };
}
