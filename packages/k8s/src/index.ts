// The public API of @ecr-refresh/k8s: the sink factory, its options and the errors it reports.
export { createKubernetesSink } from './kubernetes-sink.ts';
export type { KubernetesProgress, KubernetesSinkRuntime } from './kubernetes-sink.ts';
export {
  KubernetesSinkOptions,
  parseKubernetesSinkOptions,
  DEFAULT_SECRET_NAME,
  NAMESPACE_PLACEHOLDER,
} from './options.ts';
export type { KubernetesSinkOptionsInput } from './options.ts';
export type { ClusterConnection } from './kube-config.ts';
export type {
  KubeApi,
  KubeNamespace,
  KubeSecret,
  KubeServiceAccount,
  JsonPatchOperation,
  KubeEvent,
  KubeEventSeries,
  KubeObjectReference,
} from './kube-api.ts';
export {
  createFailureEvents,
  eventReasonOf,
  EVENT_CONTROLLER,
  EVENT_INTERVAL_MS,
} from './failure-events.ts';
export type { FailureEvents, TargetFailure } from './failure-events.ts';
export type { SecretMetadata } from './secret-metadata.ts';
export { KubernetesApiError, SecretConflictError, ServiceAccountMissingError } from './errors.ts';
export type { KubernetesRequestFacts } from './errors.ts';
export {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  ANNOTATIONS as SECRET_ANNOTATIONS,
} from './secret-record.ts';
export { EXCLUDE_LABEL as NAMESPACE_EXCLUDE_LABEL } from './namespace-selection.ts';
export { createRancherProjectSink } from './rancher2/project-sink.ts';
export type { RancherProjectSinkRuntime } from './rancher2/project-sink.ts';
export {
  RancherProjectSinkOptions,
  parseRancherProjectSinkOptions,
} from './rancher2/project-options.ts';
export type { RancherProjectSinkOptionsInput } from './rancher2/project-options.ts';
export { PROJECT_SCOPED_SECRET_LABEL } from './rancher2/rancher-objects.ts';
