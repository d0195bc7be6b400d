import * as z from 'zod';
import { KubernetesApiError } from '../errors.ts';
import type { KubeHttpClient, Query } from './http-client.ts';

/** One page of a list: its items, the token of the next page, and where the collection stands. */
export interface ListPage<Item> {
  readonly items: Item[];
  /** The token of the next page; undefined on the last page (the server's empty `continue`). */
  readonly continue?: string | undefined;
  /** The collection's `resourceVersion` when the list was read: where a watch may start. */
  readonly resourceVersion?: string | undefined;
}

/** Items per page of a whole-collection list: a cluster with thousands of objects answers in bounded chunks. */
export const LIST_PAGE_SIZE = 500;

// A list answer is the server's: its shape is checked before use, its items are objects.
const listAnswer = z.looseObject({
  items: z.array(z.looseObject({})).nullish(),
  metadata: z
    .looseObject({ continue: z.string().nullish(), resourceVersion: z.string().nullish() })
    .nullish(),
});

/**
 * One page of the collection at `path` (`/api/v1/secrets`, `/api/v1/namespaces/<ns>/serviceaccounts`,
 * a custom resource's): one request, `limit` items at most ({@link LIST_PAGE_SIZE} unless `query`
 * says), from the page `continueToken` names. `query` adds selectors (`labelSelector`, `fieldSelector`).
 */
export async function readListPage<Item>(
  http: KubeHttpClient,
  path: string,
  query: Query = {},
  continueToken?: string,
): Promise<ListPage<Item>> {
  const answer = listAnswer.safeParse(
    await http.request('GET', path, {
      query: { limit: LIST_PAGE_SIZE, ...query, continue: continueToken },
    }),
  );
  if (!answer.success)
    throw new KubernetesApiError(
      http.target,
      { method: 'GET', path, status: 200 },
      `GET ${path}: HTTP 200 answer is not a list`,
    );
  const { items, metadata } = answer.data;
  return {
    items: (items ?? []) as Item[],
    continue: metadata?.continue || undefined,
    resourceVersion: metadata?.resourceVersion ?? undefined,
  };
}
