import type { FieldRule } from './cattle-schemas.ts';

/** Paging limits: Cattle's default page and the documented maximum. */
export interface PageLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

const STRING_MODIFIERS = ['eq', 'ne', 'prefix', 'like', 'notlike', 'null', 'notnull'] as const;

/**
 * Applies Cattle's collection query to `items`: `field[_modifier]=value` filters (repeated =
 * any of), `sort`/`order`, `limit`/`marker`. As in ParseCollectionAttributes, a filter on an
 * unknown field, on a field without a DB column (`serverAddress`), or with an unknown
 * modifier is silently ignored. Returns the page and the collection's `pagination` and `filters`.
 */
export function queryCollection(
  items: ReadonlyArray<Record<string, unknown>>,
  fields: Readonly<Record<string, FieldRule>>,
  query: URLSearchParams,
  limits: PageLimits,
  pageUrl: (marker: number, limit: number) => string,
): { data: Array<Record<string, unknown>>; pagination: Record<string, unknown>; filters: Record<string, unknown>; sort: unknown } {
  const filters: Record<string, Array<{ modifier: string; value: string }>> = {};
  for (const [key, value] of query) {
    if (['sort', 'order', 'limit', 'marker', 'include', 'action'].includes(key)) continue;
    const [name = '', modifier = 'eq'] = key.split(/_(?=[a-z]+$)/);
    if (fields[name]?.column !== true || !(STRING_MODIFIERS as readonly string[]).includes(modifier)) continue;
    (filters[name] ??= []).push({ modifier, value });
  }
  let selected = items.filter((item) => Object.entries(filters).every(([name, conditions]) => conditions.some((condition) => matches(item[name], condition))));
  const sortField = query.get('sort');
  if (sortField !== null && fields[sortField] !== undefined) {
    const direction = query.get('order') === 'desc' ? -1 : 1;
    selected = [...selected].sort((a, b) => direction * String(a[sortField] ?? '').localeCompare(String(b[sortField] ?? ''), 'en', { numeric: true }));
  }
  const requested = Number(query.get('limit') ?? limits.defaultLimit);
  const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, limits.maxLimit) : limits.defaultLimit;
  const marker = Number(/^m(\d+)$/.exec(query.get('marker') ?? '')?.[1] ?? 0);
  const data = selected.slice(marker, marker + limit);
  const more = marker + limit < selected.length;
  return {
    data,
    pagination: {
      first: pageUrl(0, limit),
      previous: marker > 0 ? pageUrl(Math.max(0, marker - limit), limit) : null,
      next: more ? pageUrl(marker + limit, limit) : null,
      limit,
      total: null,
      partial: more || marker > 0,
    },
    filters: Object.fromEntries(Object.keys(fields).filter((name) => fields[name]?.column === true).map((name) => [name, filters[name] ?? null])),
    sort: sortField === null ? null : { name: sortField, order: query.get('order') ?? 'asc' },
  };
}

function matches(actual: unknown, condition: { modifier: string; value: string }): boolean {
  const text = actual === null || actual === undefined ? undefined : String(actual);
  switch (condition.modifier) {
    case 'ne':
      return text !== condition.value;
    case 'prefix':
      return text?.startsWith(condition.value) ?? false;
    case 'like':
      return text !== undefined && likePattern(condition.value).test(text);
    case 'notlike':
      return text === undefined || !likePattern(condition.value).test(text);
    case 'null':
      return text === undefined;
    case 'notnull':
      return text !== undefined;
    default:
      return text === condition.value;
  }
}

function likePattern(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}
