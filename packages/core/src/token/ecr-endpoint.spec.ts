import assert from 'node:assert/strict';
import { ECRClient } from '@aws-sdk/client-ecr';
import { configuredEcrEndpoint, ecrEndpointUrl } from './ecr-endpoint.ts';

const VARIABLES = ['AWS_ENDPOINT_URL_ECR', 'AWS_ENDPOINT_URL'] as const;

describe('core/token/ecr-endpoint', () => {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  beforeEach(() => {
    for (const name of VARIABLES) delete process.env[name];
  });
  afterEach(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  describe(ecrEndpointUrl.name, () => {
    const cases = [
      {
        region: 'eu-west-1',
        fips: false,
        dualstack: false,
        url: 'https://api.ecr.eu-west-1.amazonaws.com',
      },
      {
        region: 'us-east-1',
        fips: true,
        dualstack: false,
        url: 'https://api.ecr-fips.us-east-1.amazonaws.com',
      },
      { region: 'us-east-1', fips: false, dualstack: true, url: 'https://ecr.us-east-1.api.aws' },
      {
        region: 'us-east-1',
        fips: true,
        dualstack: true,
        url: 'https://ecr-fips.us-east-1.api.aws',
      },
      {
        region: 'cn-north-1',
        fips: false,
        dualstack: false,
        url: 'https://api.ecr.cn-north-1.amazonaws.com.cn',
      },
      {
        region: 'cn-north-1',
        fips: false,
        dualstack: true,
        url: 'https://ecr.cn-north-1.api.amazonwebservices.com.cn',
      },
      {
        region: 'us-gov-west-1',
        fips: true,
        dualstack: true,
        url: 'https://ecr-fips.us-gov-west-1.api.aws',
      },
    ];
    for (const c of cases) {
      const settings = {
        region: c.region,
        useFipsEndpoint: c.fips,
        useDualstackEndpoint: c.dualstack,
      };
      it(`names ${c.url} for ${c.region}${c.fips ? ', FIPS' : ''}${c.dualstack ? ', dual-stack' : ''}, the host the SDK calls`, () => {
        assert.equal(ecrEndpointUrl(settings), c.url);
        const sdk = new ECRClient({ region: c.region }).config.endpointProvider({
          Region: c.region,
          UseFIPS: c.fips,
          UseDualStack: c.dualstack,
        });
        assert.equal(sdk.url.origin, c.url);
      });
    }

    it('names the custom endpoint whatever the FIPS and dual-stack choices', () => {
      const settings = {
        region: 'us-east-1',
        endpoint: 'https://vpce-1.api.ecr.us-east-1.vpce.amazonaws.com',
        useFipsEndpoint: true,
        useDualstackEndpoint: true,
      };
      assert.equal(ecrEndpointUrl(settings), settings.endpoint);
    });
  });

  describe(configuredEcrEndpoint.name, () => {
    it('takes the option first, then AWS_ENDPOINT_URL_ECR, then AWS_ENDPOINT_URL', () => {
      process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
      assert.equal(configuredEcrEndpoint({}), 'http://127.0.0.1:1');
      process.env.AWS_ENDPOINT_URL_ECR = 'http://127.0.0.1:2';
      assert.equal(configuredEcrEndpoint({}), 'http://127.0.0.1:2');
      assert.equal(configuredEcrEndpoint({ endpoint: 'http://127.0.0.1:3' }), 'http://127.0.0.1:3');
    });

    it('counts an empty variable as unset', () => {
      process.env.AWS_ENDPOINT_URL_ECR = '';
      process.env.AWS_ENDPOINT_URL = '';
      assert.equal(configuredEcrEndpoint({ endpoint: '' }), undefined);
    });
  });
});
