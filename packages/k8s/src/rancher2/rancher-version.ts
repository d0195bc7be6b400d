import { ConfigError, quoteInput } from '@ecr-refresh/core';
import type { KubeApi } from '../kube-api.ts';
import {
  FIRST_PROJECT_SCOPED_SECRETS_RELEASE,
  SERVER_VERSION_SETTING,
  SETTINGS,
} from './rancher-objects.ts';

/** The running Rancher's version as its `server-version` Setting states it. */
export interface RancherVersion {
  /** As stated: `v2.12.3`, `v2.13.0-rc2`, `v2.12-head`, `dev`. */
  readonly text: string;
  /** Major and minor, when the text has them (not for a development build, `dev`). */
  readonly release?: { readonly major: number; readonly minor: number } | undefined;
}

const RELEASE = /^v?(\d+)\.(\d+)/;

/**
 * The Rancher version of the management cluster behind `api` (`context` names it), refused with a
 * ConfigError when the cluster has no Rancher, or a Rancher older than 2.12, which does not copy
 * project-scoped Secrets. A development build is taken: the caller may warn.
 */
export async function supportedRancherVersion(
  api: KubeApi,
  context: string,
): Promise<RancherVersion> {
  const setting = await api.readCustomObject(SETTINGS, SERVER_VERSION_SETTING);
  const text = [setting?.value, setting?.default]
    .find((value): value is string => typeof value === 'string' && value.trim() !== '')
    ?.trim();
  if (setting === undefined || text === undefined) {
    throw new ConfigError(
      `context ${context} is not Rancher's management cluster (it has no settings.management.cattle.io/${SERVER_VERSION_SETTING}): ` +
        'choose the context of the "local" cluster (a Rancher kubeconfig server ending in /k8s/clusters/local), or run in a pod of that cluster',
    );
  }
  const version = { text, release: parseRelease(text) };
  const first = FIRST_PROJECT_SCOPED_SECRETS_RELEASE;
  const { major, minor } = version.release ?? first;
  if (major < first.major || (major === first.major && minor < first.minor)) {
    throw new ConfigError(
      `Rancher ${quoteInput(text)} at context ${context} has no project-scoped Secrets (they came in v${first.major}.${first.minor}.0): ` +
        'upgrade Rancher, or write the Secret into each namespace of the project with ' +
        "`ecr-refresh k8s --kubeconfig <the cluster's kubeconfig> --selector field.cattle.io/projectId=<p-xxxxx>`",
    );
  }
  return version;
}

function parseRelease(text: string): RancherVersion['release'] {
  const match = RELEASE.exec(text);
  return match === null ? undefined : { major: Number(match[1]), minor: Number(match[2]) };
}
