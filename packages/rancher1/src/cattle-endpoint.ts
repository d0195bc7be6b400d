/** The two Cattle API versions Rancher 1.x serves; `v1` is what `CATTLE_URL` carries by default. */
export const CATTLE_API_VERSIONS = ['v1', 'v2-beta'] as const;
/** `v1` (what `CATTLE_URL` carries by default) or `v2-beta` (the UI's API endpoint). */
export type CattleApiVersion = (typeof CATTLE_API_VERSIONS)[number];

/**
 * A Cattle API endpoint, normalised from whatever URL a user pasted or a container received:
 * `http://host:8080`, `…/v1`, `…/v2-beta`, with or without `/projects/<id>`, a trailing slash,
 * a path prefix in front (Rancher behind a reverse proxy), or a trailing `/schemas`.
 */
export interface CattleEndpoint {
  /** `https://host[:port][/prefix]/<version>`, without a trailing slash. */
  readonly apiRoot: string;
  readonly version: CattleApiVersion;
  /** The environment (project) the URL names, when it names one. */
  readonly projectId?: string | undefined;
}

/** Either the endpoint, or why the URL cannot be one (the message never quotes user info). */
export type ParsedEndpoint = { endpoint: CattleEndpoint } | { problem: string };

const EXAMPLE = 'http://rancher.example.com:8080/v2-beta';

/**
 * Normalises a Cattle API URL; never throws. A URL without a version gets `/v2-beta`. Refuses
 * a URL without an http(s) scheme, with user info (keys belong in the key options), with a
 * query, or naming the Rancher 2.x API (`/v3`).
 */
export function parseCattleUrl(input: string): ParsedEndpoint {
  const value = input.trim();
  if (!/^https?:\/\//i.test(value)) {
    return {
      problem: `expected an http(s) URL like ${EXAMPLE}; "${value.replace(/\s+/g, ' ')}" has no http:// or https:// scheme`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `"${value}" is not a valid URL; expected one like ${EXAMPLE}` };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      problem: 'must not contain user:password; give the API keys as the access and secret key',
    };
  }
  if (url.search !== '' || url.hash !== '')
    return { problem: `must not contain a query or fragment; expected a URL like ${EXAMPLE}` };
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const at = segments.findIndex((segment) =>
    (CATTLE_API_VERSIONS as readonly string[]).includes(segment),
  );
  if (at === -1) {
    if (segments.some((segment) => /^v3(-public)?$/.test(segment))) {
      return {
        problem:
          'names the Rancher 2.x API (/v3); this serves Rancher 1.x environments (…/v1 or …/v2-beta)',
      };
    }
    return {
      endpoint: { apiRoot: join(url.origin, [...segments, 'v2-beta']), version: 'v2-beta' },
    };
  }
  const version = segments[at] as CattleApiVersion;
  const rest = segments.slice(at + 1);
  const projectId = rest[0] === 'projects' && rest[1] !== undefined ? rest[1] : undefined;
  return {
    endpoint: {
      apiRoot: join(url.origin, segments.slice(0, at + 1)),
      version,
      ...(projectId === undefined ? {} : { projectId }),
    },
  };
}

function join(origin: string, segments: readonly string[]): string {
  return `${origin}/${segments.join('/')}`;
}
