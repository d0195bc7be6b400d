// Rancher 2.x's own APIs as its UI and users call them: login, the norman v3 API (projects,
// users, role bindings, kubeconfigs) and the `/k8s/clusters/<id>` proxy, with Rancher tokens.
import { noteSecret } from '../../support/leak-collector.ts';
import { httpRequest } from '../http-request.ts';
import { waitUntil } from '../wait-until.ts';

/** An answer of Rancher: the status and the body parsed as JSON (the text when it is not JSON). */
export interface RancherResponse {
  status: number;
  body: any;
}

/** A user logged in to Rancher: their token and requests made with it. */
export interface RancherSession {
  /** The Rancher API token, `token-xxxxx:<secret>`, as the login returned it. */
  readonly token: string;
  /** The user's id: `user-xxxxx` for the admin Rancher made at its first start, `u-xxxxx` for users made since. */
  readonly userId: string;
  /** Any request to Rancher with this token (`/v3/…`, `/k8s/clusters/local/api/v1/…`); resolves for every status. */
  request(method: string, path: string, body?: unknown): Promise<RancherResponse>;
  /** The kubeconfig Rancher issues this user for a cluster (`POST /v3/clusters/<id>?action=generateKubeconfig`). */
  generateKubeconfig(clusterId: string): Promise<string>;
  /** Logs another user in with their local password. */
  login(username: string, password: string): Promise<RancherSession>;
}

/** A Rancher project as `/v3/projects` answers for it. */
export interface RancherProjectRef {
  /** `local:p-xxxxx`, as Rancher shows it. */
  readonly id: string;
  readonly cluster: string;
  /** `p-xxxxx`: the Project object's name. */
  readonly name: string;
  readonly displayName: string;
}

/** Rancher's API at `origin`, trusting `caPem`: log in to get a session. */
export function createRancherApi(
  origin: string,
  caPem: string,
): { login(username: string, password: string): Promise<RancherSession> } {
  const send = async (
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
  ): Promise<RancherResponse> => {
    const response = await httpRequest(`${origin}${path}`, {
      method,
      tls: { ca: caPem },
      headers: {
        accept: 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let parsed: unknown = response.body;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed };
  };

  const login = async (username: string, password: string): Promise<RancherSession> => {
    const answer = await send(
      'POST',
      '/v3-public/localProviders/local?action=login',
      { username, password, responseType: 'json' },
      undefined,
    );
    const token: unknown = answer.body?.token;
    if (answer.status !== 201 || typeof token !== 'string')
      throw new Error(`login of ${username}: HTTP ${answer.status} ${answer.body?.message ?? ''}`);
    noteSecret(token);
    const request = (method: string, path: string, body?: unknown) =>
      send(method, path, body, token);
    // The login answer names the token, not the user.
    const me = await request('GET', '/v3/users?me=true');
    expectStatus(me, [200], `the user of ${username}`);
    const userId = String(me.body.data?.[0]?.id);
    return {
      token,
      userId,
      request,
      login,
      async generateKubeconfig(clusterId) {
        const generated = await request(
          'POST',
          `/v3/clusters/${clusterId}?action=generateKubeconfig`,
        );
        expectStatus(generated, [200], `kubeconfig of cluster ${clusterId} for ${username}`);
        const config = String(generated.body.config);
        for (const match of config.matchAll(/token: "?([^"\s]+)"?/g)) noteSecret(match[1]);
        return config;
      },
    };
  };
  return { login };
}

/**
 * Creates a project in `cluster` through `/v3/projects`, as the UI does, and waits until Rancher
 * has made its Project object's namespace on the management cluster (its backing namespace).
 */
export async function createRancherProject(
  session: RancherSession,
  displayName: string,
  cluster = 'local',
): Promise<RancherProjectRef> {
  const created = await session.request('POST', '/v3/projects', {
    type: 'project',
    name: displayName,
    clusterId: cluster,
  });
  expectStatus(created, [201], `create project ${displayName}`);
  const id = String(created.body.id);
  const name = id.slice(id.indexOf(':') + 1);
  await waitUntil(
    async () =>
      (await session.request('GET', `/k8s/clusters/local/api/v1/namespaces/${name}`)).status ===
      200,
    {
      what: `the namespace of project ${id}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    },
  );
  return { id, cluster, name, displayName };
}

/** Creates a namespace in `project` through Rancher's proxy, annotated with the project as the UI does. */
export async function createRancherNamespace(
  session: RancherSession,
  name: string,
  project: RancherProjectRef,
): Promise<void> {
  const created = await session.request(
    'POST',
    `/k8s/clusters/${project.cluster}/api/v1/namespaces`,
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations: { 'field.cattle.io/projectId': project.id } },
    },
  );
  expectStatus(created, [201], `create namespace ${name} in ${project.id}`);
}

/**
 * Creates a local Rancher user with `globalRole` (default `user-base`: log in and see oneself,
 * the least a user has) and returns its id.
 */
export async function createRancherUser(
  session: RancherSession,
  username: string,
  password: string,
  globalRole = 'user-base',
): Promise<string> {
  noteSecret(password);
  const user = await session.request('POST', '/v3/users', {
    type: 'user',
    username,
    password,
    mustChangePassword: false,
    enabled: true,
  });
  expectStatus(user, [201], `create user ${username}`);
  const userId = String(user.body.id);
  const binding = await session.request('POST', '/v3/globalrolebindings', {
    type: 'globalRoleBinding',
    globalRoleId: globalRole,
    userId,
  });
  expectStatus(binding, [201], `global role ${globalRole} for ${username}`);
  return userId;
}

/** Makes `userId` a member of `project` with the project role `roleTemplateId`. */
export async function bindRancherProjectRole(
  session: RancherSession,
  project: RancherProjectRef,
  userId: string,
  roleTemplateId: string,
): Promise<void> {
  const binding = await session.request('POST', '/v3/projectroletemplatebindings', {
    type: 'projectRoleTemplateBinding',
    projectId: project.id,
    roleTemplateId,
    userId,
  });
  expectStatus(binding, [201], `project role ${roleTemplateId} in ${project.id} for ${userId}`);
}

function expectStatus(response: RancherResponse, expected: readonly number[], what: string): void {
  if (!expected.includes(response.status)) {
    const message =
      typeof response.body === 'object'
        ? (response.body?.message ?? JSON.stringify(response.body))
        : response.body;
    throw new Error(`${what}: HTTP ${response.status} ${String(message).slice(0, 500)}`);
  }
}
