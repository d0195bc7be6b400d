import {
  EcrRefreshError,
  toEcrRefreshError,
  type ApplyContext,
  type CredentialRecord,
  type RegistryCredential,
  type TargetResult,
} from '@ecr-refresh/core';
import type { CattleClient } from './cattle-client.ts';
import type { CattleApiVersion } from './cattle-endpoint.ts';
import { CattleRegistry, CattleRegistryCredential, compareCattleIds } from './cattle-resources.ts';
import { describeCredential, recordOfCredential } from './credential-record.ts';
import type { Environment } from './environments.ts';
import { RancherApiError, RegistryInactiveError, RegistryMissingError } from './errors.ts';
import { registriesFor, type RegistryMatch } from './server-address.ts';

/** The sink id, and the `sink` of every result. */
export const SINK_ID = 'rancher1';

/** What {@link updateEnvironment} needs besides the environment. */
export interface EnvironmentUpdate {
  readonly client: CattleClient;
  readonly context: ApplyContext;
  readonly version: CattleApiVersion;
  readonly autoCreate: boolean;
  readonly activate: boolean;
  /** Sent as `email` on the v1 API, which requires it. */
  readonly email: string;
}

/** What one host's credential should become, once the decision to write is made. */
interface Plan {
  readonly registry: CattleRegistry | undefined;
  readonly credentialId: string | undefined;
  readonly activateRegistry: boolean;
  readonly notes: string[];
}

/**
 * Brings the credential of every ECR host up to date in one environment; one result per host,
 * never a rejection. Registries and credentials are each listed once for the whole environment
 * (every page), then matched here; a fresh credential costs no ECR call and no write.
 */
export async function updateEnvironment(
  environment: Environment,
  update: EnvironmentUpdate,
): Promise<TargetResult[]> {
  const hosts = update.context.registries.map((registry) => registry.host);
  const client = update.client;
  try {
    const registries = await client.list(
      `${environment.base}/registries`,
      CattleRegistry,
      environment.label,
    );
    const matches = new Map(hosts.map((host) => [host, registriesFor(host, registries)]));
    const anyFound = [...matches.values()].some((found) => found.length > 0);
    const credentials = anyFound
      ? await client.list(
          `${environment.base}/registrycredentials`,
          CattleRegistryCredential,
          environment.label,
        )
      : [];
    const results: TargetResult[] = [];
    for (const host of hosts) {
      results.push(
        await updateHost(environment, host, matches.get(host) ?? [], credentials, update),
      );
    }
    return results;
  } catch (error) {
    return hosts.map((host) => failed(environment.label, host, error));
  }
}

async function updateHost(
  environment: Environment,
  host: string,
  matches: readonly RegistryMatch[],
  credentials: readonly CattleRegistryCredential[],
  update: EnvironmentUpdate,
): Promise<TargetResult> {
  const target = `${environment.label}/${host}`;
  const log = update.context.logger.child({ environment: environment.label, host });
  try {
    const plan = planHost(environment, host, matches, credentials, update);
    for (const note of plan.notes) log.warn(note);
    const inPlace =
      plan.credentialId === undefined
        ? undefined
        : credentials.find((credential) => credential.id === plan.credentialId);
    const record =
      inPlace?.publicValue === 'AWS' ? recordOfCredential(inPlace.description, host) : undefined;
    if (
      !plan.activateRegistry &&
      inPlace !== undefined &&
      !update.context.needsRefresh(record, [host])
    ) {
      return {
        sink: SINK_ID,
        target,
        action: 'unchanged',
        ...(record === undefined ? {} : { record }),
        reason: reasonOf(['still fresh', ...plan.notes]),
      };
    }
    const credential = credentialFor(host, await update.context.credentials());
    const written: CredentialRecord = {
      hosts: [host],
      fetchedAt: credential.fetchedAt,
      expiresAt: credential.expiresAt,
    };
    const action =
      plan.registry === undefined || plan.credentialId === undefined ? 'created' : 'updated';
    if (update.context.dryRun)
      return {
        sink: SINK_ID,
        target,
        action,
        dryRun: true,
        record: written,
        reason: reasonOf(plan.notes),
      };
    const done = await write(environment, host, plan, credential, update);
    const notes =
      done.replaced === undefined
        ? plan.notes
        : [
            ...plan.notes,
            `credential ${done.replaced} was removed meanwhile: created ${done.credentialId}`,
          ];
    const doneAction = done.replaced === undefined ? action : 'created';
    log.debug(
      { registryId: done.registryId, credentialId: done.credentialId },
      `credential ${doneAction}`,
    );
    return {
      sink: SINK_ID,
      target,
      action: doneAction,
      record: written,
      reason: reasonOf([`registry ${done.registryId}, credential ${done.credentialId}`, ...notes]),
    };
  } catch (error) {
    return failed(environment.label, host, error);
  }
}

/** Decides, from what is listed, which registry and credential to write; throws when the target cannot be served as configured. */
function planHost(
  environment: Environment,
  host: string,
  matches: readonly RegistryMatch[],
  credentials: readonly CattleRegistryCredential[],
  update: EnvironmentUpdate,
): Plan {
  const notes: string[] = [];
  const [best] = matches;
  if (best === undefined) {
    if (update.autoCreate)
      return { registry: undefined, credentialId: undefined, activateRegistry: false, notes };
    throw new RegistryMissingError(
      `no registry with server address ${host} in environment ${environment.label}: add one (Infrastructure → Registries → Custom, ` +
        `address ${host}) or run with --auto-create`,
    );
  }
  const { registry } = best;
  if (update.autoCreate && !matches.some((match) => match.exact)) {
    // Cattle matches a pull's server against the bare address only: a registry stored as
    // `https://host` serves no pull, and Cattle accepts `host` beside it (not a duplicate).
    notes.push(
      `registry ${registry.id} stores server address "${registry.serverAddress ?? ''}", which pulls never match; created one with address ${host} beside it`,
    );
    return { registry: undefined, credentialId: undefined, activateRegistry: false, notes };
  }
  if (matches.length > 1) {
    notes.push(
      `${matches.length} registries serve ${host} (${matches.map((match) => match.registry.id).join(', ')}); using ${registry.id}`,
    );
  }
  if (!best.exact) {
    notes.push(
      `registry ${registry.id} stores server address "${registry.serverAddress ?? ''}"; Rancher matches pulls against the bare host ` +
        `${host}, so pulls will not use it until a registry with address ${host} exists`,
    );
  }
  const inactive = registry.state === 'inactive' || registry.state === 'deactivating';
  if (inactive && !update.activate) {
    throw new RegistryInactiveError(
      `registry ${registry.id} (${host}) in environment ${environment.label} is ${registry.state}: Rancher uses only active registries ` +
        'for pulls; activate it in Rancher or run with --activate',
    );
  }
  if (inactive) notes.push(`registry ${registry.id} was ${registry.state}: activated`);
  const active = credentials
    .filter((credential) => credential.registryId === registry.id && credential.state === 'active')
    .sort((a, b) => compareCattleIds(a.id, b.id));
  if (active.length > 1) {
    notes.push(
      `registry ${registry.id} has ${active.length} active credentials (${active.map((c) => c.id).join(', ')}); Rancher uses the lowest id, so ${active[0]?.id} is the one kept fresh`,
    );
  }
  return { registry, credentialId: active[0]?.id, activateRegistry: inactive, notes };
}

async function write(
  environment: Environment,
  host: string,
  plan: Plan,
  credential: RegistryCredential,
  update: EnvironmentUpdate,
): Promise<{ registryId: string; credentialId: string; replaced?: string }> {
  const { client } = update;
  const registry = plan.registry ?? (await createRegistry(environment, host, update));
  if (plan.activateRegistry) {
    await client.send(
      'POST',
      `${environment.base}/registries/${encodeURIComponent(registry.id)}?action=activate`,
      undefined,
      CattleRegistry,
      environment.label,
    );
  }
  const body = {
    publicValue: credential.username,
    secretValue: credential.password,
    description: describeCredential(credential),
    ...(update.version === 'v1' ? { email: update.email } : {}),
  };
  const create = () =>
    client.send(
      'POST',
      `${environment.base}/registrycredentials`,
      { ...body, registryId: registry.id },
      CattleRegistryCredential,
      environment.label,
    );
  if (plan.credentialId === undefined)
    return { registryId: registry.id, credentialId: (await create()).id };
  // In place, never delete + create: containers keep a reference to the credential's id.
  const saved = await client.send(
    'PUT',
    `${environment.base}/registrycredentials/${encodeURIComponent(plan.credentialId)}`,
    body,
    CattleRegistryCredential,
    environment.label,
  );
  // Cattle answers a PUT on a credential removed since we listed with 200 and stores the
  // secret, but the credential stays removed and no pull uses it: only its state tells.
  if (!GONE_STATES.has(saved.state)) return { registryId: registry.id, credentialId: saved.id };
  return { registryId: registry.id, credentialId: (await create()).id, replaced: saved.id };
}

// States of a credential that no pull will use again (Cattle has no way back from them on v2-beta).
const GONE_STATES: ReadonlySet<string> = new Set(['removing', 'removed', 'purging', 'purged']);

async function createRegistry(
  environment: Environment,
  host: string,
  update: EnvironmentUpdate,
): Promise<CattleRegistry> {
  const body = {
    serverAddress: host,
    name: host,
    description: 'ECR registry kept fresh by ecr-refresh',
  };
  try {
    return await update.client.send(
      'POST',
      `${environment.base}/registries`,
      body,
      CattleRegistry,
      environment.label,
    );
  } catch (error) {
    // Another run created it since we listed (or our own POST was retried): use that one.
    if (!(error instanceof RancherApiError && error.cattleCode === 'ServerAddressUsed'))
      throw error;
    const registries = await update.client.list(
      `${environment.base}/registries`,
      CattleRegistry,
      environment.label,
    );
    const [existing] = registriesFor(host, registries);
    if (existing === undefined) throw error;
    return existing.registry;
  }
}

function credentialFor(
  host: string,
  credentials: ReadonlyMap<string, RegistryCredential>,
): RegistryCredential {
  const credential = credentials.get(host);
  if (credential === undefined) throw new EcrRefreshError(`ECR returned no credential for ${host}`);
  return credential;
}

function failed(environment: string, host: string, error: unknown): TargetResult {
  return {
    sink: SINK_ID,
    target: `${environment}/${host}`,
    action: 'failed',
    error: toEcrRefreshError(error, `cannot update ${environment}/${host}`),
  };
}

function reasonOf(notes: readonly string[]): string | undefined {
  return notes.length === 0 ? undefined : notes.join('; ');
}
