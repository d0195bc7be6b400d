import assert from 'node:assert/strict';
import { parseCattleUrl } from './cattle-endpoint.ts';

describe('rancher1/cattle-endpoint', () => {
  const accepted = [
    { input: 'http://rancher:8080/v1', apiRoot: 'http://rancher:8080/v1', version: 'v1' },
    { input: 'http://rancher:8080/v1/', apiRoot: 'http://rancher:8080/v1', version: 'v1' },
    {
      input: 'https://rancher.example.com/v2-beta',
      apiRoot: 'https://rancher.example.com/v2-beta',
      version: 'v2-beta',
    },
    {
      input: 'http://rancher:8080/v1/projects/1a10',
      apiRoot: 'http://rancher:8080/v1',
      version: 'v1',
      projectId: '1a10',
    },
    {
      input: 'https://rancher.example.com/v2-beta/projects/1a5/',
      apiRoot: 'https://rancher.example.com/v2-beta',
      version: 'v2-beta',
      projectId: '1a5',
    },
    {
      input: 'https://rancher.example.com/v2-beta/projects/1a5/registries',
      apiRoot: 'https://rancher.example.com/v2-beta',
      version: 'v2-beta',
      projectId: '1a5',
    },
    {
      input: 'https://rancher.example.com/v2-beta/schemas',
      apiRoot: 'https://rancher.example.com/v2-beta',
      version: 'v2-beta',
    },
    { input: 'http://rancher:8080', apiRoot: 'http://rancher:8080/v2-beta', version: 'v2-beta' },
    { input: 'http://rancher:8080/', apiRoot: 'http://rancher:8080/v2-beta', version: 'v2-beta' },
    {
      input: ' HTTPS://Rancher.Example.com/behind/proxy/v1/projects/1a7 ',
      apiRoot: 'https://rancher.example.com/behind/proxy/v1',
      version: 'v1',
      projectId: '1a7',
    },
  ];
  for (const c of accepted) {
    it(`normalises ${c.input.trim()}`, () => {
      const parsed = parseCattleUrl(c.input);
      assert.ok('endpoint' in parsed, JSON.stringify(parsed));
      assert.deepEqual(parsed.endpoint, {
        apiRoot: c.apiRoot,
        version: c.version,
        ...(c.projectId === undefined ? {} : { projectId: c.projectId }),
      });
    });
  }

  const refused = [
    { input: 'rancher.example.com:8080/v1', problem: /no http:\/\/ or https:\/\/ scheme/ },
    { input: 'ftp://rancher/v1', problem: /no http:\/\/ or https:\/\/ scheme/ },
    { input: 'http://key:secret-value@rancher/v1', problem: /must not contain user:password/ },
    { input: 'https://rancher.example.com/v3', problem: /Rancher 2\.x API/ },
    { input: 'http://rancher:8080/v1?projectId=1a5', problem: /query/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.input} and says why`, () => {
      const parsed = parseCattleUrl(c.input);
      assert.ok('problem' in parsed);
      assert.match(parsed.problem, c.problem);
      assert.ok(!parsed.problem.includes('secret-value'));
    });
  }
});
