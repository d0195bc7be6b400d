import type { KubeApi, KubeListQuery, KubeObject } from './kube-api.ts';

/**
 * Objects per page of each list a run makes, sized so that a cluster of 1000 namespaces (plus its
 * system ones) is read in one page per list, three requests in all, while one page stays a few
 * MiB of JSON: a page is decoded whole (about three times its size while it is), and the CronJob
 * has 256 MiB. Namespaces and ServiceAccounts weigh about 0.3–0.6 KiB each (managedFields
 * included), so 2000 of them are ~1 MiB. Our Secret with one registry weighs ~7 KiB with a real
 * ECR token (the password, and `auth` again in base64, inside the base64 of `.dockerconfigjson`):
 * 1000 of them are ~7 MiB. A cluster of 2000 namespaces then takes five or six requests.
 */
export const PAGE_SIZE = { namespaces: 2000, serviceAccounts: 2000, secrets: 1000 } as const;

/**
 * The pages of a list, in order, one request each, following the `continue` token: a caller keeps
 * what it needs of a page before asking for the next, so no more than one page is held at once.
 */
export async function* pagesOf(
  api: Pick<KubeApi, 'listPage'>,
  query: KubeListQuery,
): AsyncGenerator<KubeObject[]> {
  let token: string | undefined;
  do {
    const page = await api.listPage(query, token);
    yield page.items;
    token = page.continue === '' ? undefined : page.continue;
  } while (token !== undefined);
}
