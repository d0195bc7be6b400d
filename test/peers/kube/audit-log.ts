import { readFile } from 'node:fs/promises';

/** The fields of an audit.k8s.io/v1 Event that tests look at (the log has more). */
export interface AuditEvent {
  auditID: string;
  stage: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  /** Who the request acted as, when the user impersonated someone (as Rancher's proxy does). */
  impersonatedUser?: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number; reason?: string; message?: string };
  /** The request's User-Agent header, as the server received it. */
  userAgent?: string;
}

/** The `--audit-policy-file` the test API server uses: metadata of every request, no bodies (no secret in the log). */
export const AUDIT_POLICY = [
  'apiVersion: audit.k8s.io/v1',
  'kind: Policy',
  'omitStages: [RequestReceived]',
  'rules:',
  '- level: Metadata',
  '',
].join('\n');

/**
 * Parses the JSON-lines audit log and returns the events of one user (e.g.
 * `system:serviceaccount:ns:sa`), made by that user or by someone impersonating it, oldest first.
 * A line still being written is skipped.
 */
export async function readAuditEvents(path: string, username: string): Promise<AuditEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const event = JSON.parse(line) as AuditEvent;
      if (event.user?.username === username || event.impersonatedUser?.username === username)
        events.push(event);
    } catch {
      // The last line can be half-written while the server logs.
    }
  }
  return events;
}
