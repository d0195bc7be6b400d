import { AwsAuthError, EcrRefreshError, EcrUnavailableError } from '../errors.ts';

// Error names AWS uses for a key it does not know, a signature that does not match, or an
// expired session: the credentials themselves are wrong.
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied']);
// Throttling comes back as a 400 "client" fault, but waiting is exactly what fixes it.
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
]);

interface AwsErrorShape {
  name?: string;
  message?: string;
  $fault?: string;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

/**
 * Turns an error from the AWS SDK into an ecr-refresh error that says what to fix, without any
 * secret. `where` names the call (`ECR in eu-west-1 (https://…)`), `as` the identity used,
 * `permissions` what that identity needs for the call.
 */
export function fromAwsError(
  error: unknown,
  where: string,
  as: string,
  permissions = 'ecr:GetAuthorizationToken on "*"',
): EcrRefreshError {
  if (error instanceof EcrRefreshError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = shape.name ?? 'Error';
  const status = shape.$metadata?.httpStatusCode;
  // A body the SDK could not parse surfaces as SyntaxError: the status is what tells.
  const known = !['Error', 'SyntaxError', 'TypeError'].includes(name);
  const detail =
    [known ? name : undefined, status === undefined ? undefined : `HTTP ${status}`]
      .filter(Boolean)
      .join(', ') || name;
  if (name === 'CredentialsProviderError') {
    return new AwsAuthError(
      `no AWS credentials found for ${as}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with an IAM role (IRSA, EKS Pod Identity, ECS task role, instance profile)`,
      { cause: error },
    );
  }
  // An unparseable 401/403 body (an XML error from a proxy or a stand-in) still means no entry.
  if (
    REJECTED_CREDENTIALS.has(name) ||
    status === 401 ||
    (status === 403 && !ACCESS_DENIED.has(name))
  ) {
    return new AwsAuthError(
      `${where} rejected the AWS credentials of ${as}: ${detail}; check the access key id and secret access key`,
      { cause: error },
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new AwsAuthError(`${where} denied ${as}: ${detail}; the identity needs ${permissions}`, {
      cause: error,
    });
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    // The SDK reports its own request timeout as an abort; a cancellation by us is told apart by
    // the caller, which knows its signal.
    return new EcrUnavailableError(`${where} did not answer in time (${name})`, { cause: error });
  }
  const throttled = THROTTLED.has(name) || shape.$retryable?.throttling === true || status === 429;
  if (!throttled && status !== undefined && status < 500 && shape.$fault === 'client') {
    return new EcrRefreshError(`${where} refused the request for ${as}: ${detail}`, {
      cause: error,
    });
  }
  const reason = shape.code ?? detail;
  return new EcrUnavailableError(
    `${where} could not be reached or kept failing after retries: ${reason}`,
    { cause: error },
  );
}
