import { homedir } from 'node:os';
import { join } from 'node:path';

/** The cache outside the clone, as scripts/build-cache.sh computes it: `$ECR_REFRESH_CACHE`, else `~/.cache/ecr-refresh`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.ECR_REFRESH_CACHE;
  if (override !== undefined && override !== '') return override;
  const xdg = env.XDG_CACHE_HOME;
  return join(
    xdg !== undefined && xdg !== '' ? xdg : join(env.HOME ?? homedir(), '.cache'),
    'ecr-refresh',
  );
}
