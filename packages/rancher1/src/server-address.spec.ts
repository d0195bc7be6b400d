import assert from 'node:assert/strict';
import { hostOfServerAddress, registriesFor } from './server-address.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('rancher1/server-address', () => {
  for (const stored of [
    HOST,
    HOST.toUpperCase(),
    `https://${HOST}`,
    `https://${HOST}/`,
    `http://${HOST}/v2/`,
    ` ${HOST} `,
  ]) {
    it(`reads "${stored}" as the host ${HOST}`, () => {
      assert.equal(hostOfServerAddress(stored), HOST);
    });
  }

  it('orders matches as Cattle picks them: active first, then the bare address, then the lowest id', () => {
    const registries = [
      { id: '1sp9', serverAddress: HOST, state: 'inactive' },
      { id: '1sp12', serverAddress: `https://${HOST}`, state: 'active' },
      { id: '1sp10', serverAddress: HOST.toUpperCase(), state: 'active' },
      { id: '1sp2', serverAddress: 'docker.io', state: 'active' },
      { id: '1sp3', serverAddress: HOST, state: 'removed' },
    ];
    assert.deepEqual(
      registriesFor(HOST, registries).map((match) => [match.registry.id, match.exact]),
      [
        ['1sp10', true],
        ['1sp12', false],
        ['1sp9', true],
      ],
    );
  });
});
