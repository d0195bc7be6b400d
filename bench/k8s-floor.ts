// The floor of bench/k8s.ts: the least a client must do for the same result, with the same
// concurrency: one keep-alive HTTPS pool, no library, no validation, no ECR call. Run as a
// child process, configured through the environment (see bench/k8s.ts).
//   create:    list namespaces; per namespace GET Secret (404), POST Secret, GET ServiceAccount, PATCH it
//   update:    list namespaces; per namespace GET Secret, PUT Secret, GET ServiceAccount
//   unchanged: list namespaces; per namespace GET Secret, GET ServiceAccount
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const { FLOOR_SERVER, FLOOR_CA, FLOOR_TOKEN, FLOOR_PREFIX, FLOOR_PHASE, FLOOR_CONCURRENCY } = process.env;
const concurrency = Number(FLOOR_CONCURRENCY ?? 8);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(FLOOR_CA ?? '') });
const server = new URL(FLOOR_SERVER ?? '');
const SECRET = 'ecr-pull-credentials';
const config = Buffer.from(JSON.stringify({ auths: { '123456789012.dkr.ecr.eu-west-1.amazonaws.com': { username: 'AWS', password: 'floor', auth: Buffer.from('AWS:floor').toString('base64') } } })).toString('base64');

function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ agent, hostname: server.hostname, port: server.port, method, path, headers: { authorization: `Bearer ${FLOOR_TOKEN}`, accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function serve(namespace: string): Promise<void> {
  const secretPath = `/api/v1/namespaces/${namespace}/secrets`;
  const found = await call('GET', `${secretPath}/${SECRET}`);
  const secret = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { name: SECRET, labels: { 'app.kubernetes.io/managed-by': 'ecr-refresh' } }, data: { '.dockerconfigjson': config } };
  if (found.status === 404) await call('POST', secretPath, secret);
  else if (FLOOR_PHASE === 'update') await call('PUT', `${secretPath}/${SECRET}`, { ...secret, metadata: { ...secret.metadata, resourceVersion: found.body.metadata.resourceVersion } });
  const accountPath = `/api/v1/namespaces/${namespace}/serviceaccounts/default`;
  const account = await call('GET', accountPath);
  const entries: Array<{ name: string }> = account.body.imagePullSecrets ?? [];
  if (!entries.some((entry) => entry.name === SECRET)) {
    await call('PATCH', accountPath, [{ op: 'test', path: '/metadata/resourceVersion', value: account.body.metadata.resourceVersion }, { op: 'add', path: '/imagePullSecrets', value: [...entries, { name: SECRET }] }], 'application/json-patch+json');
  }
}

const namespaces: string[] = [];
let page = '';
do {
  const listed = await call('GET', `/api/v1/namespaces?limit=500${page === '' ? '' : `&continue=${encodeURIComponent(page)}`}`);
  for (const item of listed.body.items as Array<{ metadata: { name: string } }>) if (item.metadata.name.startsWith(FLOOR_PREFIX ?? '')) namespaces.push(item.metadata.name);
  page = listed.body.metadata?.continue ?? '';
} while (page !== '');
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < namespaces.length) await serve(namespaces[next++] as string);
}));
agent.destroy();
