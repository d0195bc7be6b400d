/** The version of ecr-refresh; `user-agent.spec.ts` keeps it equal to every package's `version`. */
export const VERSION = '0.1.0';

/**
 * The `User-Agent` of every request ecr-refresh makes (ECR, STS, Kubernetes, Rancher), so the
 * server's logs (an API server's audit log, Cattle's access log) name the tool that wrote.
 */
export const USER_AGENT = `ecr-refresh/${VERSION}`;
