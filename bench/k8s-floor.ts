// The floor of bench/k8s.ts: the least a client must do for the same result, with the same
// concurrency and the same requests as ecr-refresh: one keep-alive HTTPS pool, no library, no
// validation, no ECR call. Run as a child process, configured through the environment (see
// bench/k8s.ts). What is in place is read with three lists, paged as ecr-refresh pages them
// (packages/k8s/src/list-pages.ts), then per namespace only the writes:
//   create:    3 lists; per namespace POST Secret, PATCH ServiceAccount
//   update:    3 lists; per namespace PUT Secret (with the listed resourceVersion)
//   unchanged: 3 lists
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const { FLOOR_SERVER, FLOOR_CA, FLOOR_TOKEN, FLOOR_PREFIX, FLOOR_PHASE, FLOOR_CONCURRENCY } =
  process.env;
const concurrency = Number(FLOOR_CONCURRENCY ?? 8);
const agent = new Agent({
  keepAlive: true,
  maxSockets: concurrency,
  ca: readFileSync(FLOOR_CA ?? ''),
});
const server = new URL(FLOOR_SERVER ?? '');
const SECRET = 'ecr-pull-credentials';
const PAGE = { namespaces: 2000, secrets: 1000, serviceAccounts: 2000 };
const config = Buffer.from(
  JSON.stringify({
    auths: {
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com': {
        username: 'AWS',
        password: 'floor',
        auth: Buffer.from('AWS:floor').toString('base64'),
      },
    },
  }),
).toString('base64');

function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        hostname: server.hostname,
        port: server.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${FLOOR_TOKEN}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every item of a list, page by page. */
async function list(path: string, limit: number, fieldSelector?: string): Promise<any[]> {
  const items: any[] = [];
  let page = '';
  do {
    const query = new URLSearchParams({
      limit: String(limit),
      ...(fieldSelector === undefined ? {} : { fieldSelector }),
      ...(page === '' ? {} : { continue: page }),
    });
    const listed = await call('GET', `${path}?${query.toString()}`);
    items.push(...listed.body.items);
    page = listed.body.metadata?.continue ?? '';
  } while (page !== '');
  return items;
}

const namespaces = (await list('/api/v1/namespaces', PAGE.namespaces))
  .map((item) => item.metadata.name as string)
  .filter((name) => name.startsWith(FLOOR_PREFIX ?? ''));
const served = new Set(namespaces);
const [secrets, accounts] = await Promise.all([
  list('/api/v1/secrets', PAGE.secrets, `metadata.name=${SECRET}`),
  list('/api/v1/serviceaccounts', PAGE.serviceAccounts, 'metadata.name=default'),
]);
const secretIn = new Map(
  secrets
    .filter((item) => served.has(item.metadata.namespace))
    .map((item) => [item.metadata.namespace as string, item]),
);
const accountIn = new Map(
  accounts
    .filter((item) => served.has(item.metadata.namespace))
    .map((item) => [item.metadata.namespace as string, item]),
);

async function serve(namespace: string): Promise<void> {
  const secretPath = `/api/v1/namespaces/${namespace}/secrets`;
  const found = secretIn.get(namespace);
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: SECRET, labels: { 'app.kubernetes.io/managed-by': 'ecr-refresh' } },
    data: { '.dockerconfigjson': config },
  };
  if (found === undefined) await call('POST', secretPath, secret);
  else if (FLOOR_PHASE === 'update')
    await call('PUT', `${secretPath}/${SECRET}`, {
      ...secret,
      metadata: { ...secret.metadata, resourceVersion: found.metadata.resourceVersion },
    });
  const account = accountIn.get(namespace);
  const entries: Array<{ name: string }> = account.imagePullSecrets ?? [];
  if (!entries.some((entry) => entry.name === SECRET)) {
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/default`;
    await call(
      'PATCH',
      path,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: account.metadata.resourceVersion },
        { op: 'add', path: '/imagePullSecrets', value: [...entries, { name: SECRET }] },
      ],
      'application/json-patch+json',
    );
  }
}

let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < namespaces.length) await serve(namespaces[next++] as string);
  }),
);
agent.destroy();
