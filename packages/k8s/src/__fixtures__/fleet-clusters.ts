import assert from 'node:assert/strict';
import type { KubeApi } from '../kube-api.ts';
import type { ClusterConnection } from '../kube-config.ts';
import { FakeKubeApi } from './fake-kube-api.ts';

/** A Rancher Cluster object, as a test describes it. */
export interface ClusterSpec {
  readonly id: string;
  readonly displayName?: string;
  readonly labels?: Record<string, string>;
  /** The Ready condition's status; undefined: no Ready condition at all. */
  readonly ready?: 'True' | 'False' | 'Unknown' | undefined;
  readonly reason?: string;
}

/** The Cluster object Rancher keeps on its management cluster for `spec`. */
export function clusterObject({ id, displayName, labels, ready, reason }: ClusterSpec) {
  return {
    metadata: { name: id, labels: labels ?? {} },
    spec: { displayName: displayName ?? id },
    status: {
      conditions: [
        { type: 'Provisioned', status: 'True' },
        ...(ready === undefined ? [] : [{ type: 'Ready', status: ready, reason: reason ?? '' }]),
      ],
    },
  };
}

/** A downstream cluster's API with the given namespaces, each with a default ServiceAccount. */
export function downstream(...namespaces: string[]): FakeKubeApi {
  const api = new FakeKubeApi();
  for (const namespace of namespaces) {
    api.addNamespace(namespace);
    api.addServiceAccount(namespace, 'default');
  }
  return api;
}

/**
 * Rancher's context over `management`, reaching the clusters of `apis` by id (an unknown id fails
 * the test) and noting each id in `reached`.
 */
export function rancherConnection(
  management: KubeApi,
  apis: ReadonlyMap<string, KubeApi>,
  reached: string[],
  namespace = 'default',
): ClusterConnection {
  return {
    context: 'rancher',
    namespace,
    api: management,
    reach: (id) => {
      reached.push(id);
      const api = apis.get(id);
      assert.ok(api !== undefined, `the test reached an unknown cluster ${id}`);
      return api;
    },
  };
}
