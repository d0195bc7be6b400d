import assert from 'node:assert/strict';
import { redactUrl } from './redact-url.ts';

describe('core/http/redact-url', () => {
  const cases: Array<{ name: string; url: string; redacted: string }> = [
    {
      name: 'keeps a URL without credentials exactly as it is',
      url: 'https://rancher.example.com/v2-beta/projects/1a5/registries?limit=100',
      redacted: 'https://rancher.example.com/v2-beta/projects/1a5/registries?limit=100',
    },
    {
      name: 'keeps a path as a path',
      url: '/api/v1/namespaces/team-a/secrets?labelSelector=a%3Db',
      redacted: '/api/v1/namespaces/team-a/secrets?labelSelector=a%3Db',
    },
    {
      name: 'drops user and password',
      url: 'https://admin:s3cr3t-pass@rancher.example.com/v2-beta',
      redacted: 'https://rancher.example.com/v2-beta',
    },
    {
      name: 'hides the value of a token in the query',
      url: 'https://host/path?access_token=tok-123&limit=5',
      redacted: 'https://host/path?access_token=REDACTED&limit=5',
    },
    {
      name: "hides a presigned URL's signature and credential",
      url: 'https://bucket.s3.amazonaws.com/o?X-Amz-Credential=AKIA1&X-Amz-Signature=abc',
      redacted:
        'https://bucket.s3.amazonaws.com/o?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED',
    },
    {
      name: "hides an API key and a password in a path's query",
      url: '/v1/x?apiKey=k-1&password=p-1&name=ok',
      redacted: '/v1/x?apiKey=REDACTED&password=REDACTED&name=ok',
    },
    {
      name: 'shows nothing of what is no URL',
      url: 'http://[not a host',
      redacted: '(an invalid URL)',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(redactUrl(c.url), c.redacted);
      for (const secret of ['s3cr3t-pass', 'tok-123', 'AKIA1', 'abc', 'k-1', 'p-1'])
        assert.ok(
          !redactUrl(c.url).includes(`=${secret}`) && !redactUrl(c.url).includes(`:${secret}@`),
        );
    });
  }
});
