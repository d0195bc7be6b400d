/**
 * The names among `profiles` that neither shared AWS file defines (the config file, `[profile x]`,
 * and the credentials file, `[x]`, found as the SDK finds them: AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE, else `~/.aws/`). A run can then refuse a misspelt profile before it
 * writes anything, instead of failing on its first call. The SDK's file loader is imported only
 * when some profile is named.
 */
export async function missingProfiles(profiles: readonly string[]): Promise<string[]> {
  if (profiles.length === 0) return [];
  const { parseKnownFiles } = await import('@smithy/core/config');
  const known = await parseKnownFiles({ ignoreCache: true });
  return profiles.filter((profile) => !Object.hasOwn(known, profile));
}
