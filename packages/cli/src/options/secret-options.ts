import type { Options } from 'yargs';
import { ConfigError } from '@ecr-refresh/core';
import { keyValues } from './flag-values.ts';

/**
 * The options of the commands that write a Secret (`k8s`, `rancher2`) about what surrounds it:
 * its extra labels and annotations, and the Events of failed targets. Also in the config file
 * (`secretLabels:` and `secretAnnotations:` as maps) and as ECR_REFRESH_* variables.
 */
export const secretOptions = {
  'secret-label': {
    type: 'string',
    array: true,
    description:
      'Label to add to the Secret, key=value (Kubernetes label rules); repeatable or comma-separated. Ours cannot be overridden',
  },
  'secret-annotation': {
    type: 'string',
    array: true,
    description:
      'Annotation to add to the Secret, key=value (argocd.argoproj.io/compare-options=IgnoreExtraneous); repeatable, or one per line',
  },
  events: {
    type: 'boolean',
    default: true,
    description:
      'Emit a Warning Event (events.k8s.io/v1) for each failed target, at most one per object and reason per 10 minutes (--no-events: none)',
  },
} as const satisfies Record<string, Options>;

/** The parsed values of {@link secretOptions}. */
export interface SecretArgs {
  secretLabel?: string[] | undefined;
  secretAnnotation?: string[] | undefined;
  events: boolean;
}

/** The sink options {@link secretOptions} set; throws ConfigError for an entry that is not key=value. */
export function secretSinkOptionsOf(args: SecretArgs): {
  secretLabels: Record<string, string>;
  secretAnnotations: Record<string, string>;
  events: boolean;
} {
  const problems: string[] = [];
  // Label keys and values cannot hold commas; annotation values may, so one ECR_REFRESH_SECRET_ANNOTATION
  // (as the chart sets it) holds several one per line.
  const secretLabels = keyValues(args.secretLabel, 'secret-label', problems, ',');
  const secretAnnotations = keyValues(args.secretAnnotation, 'secret-annotation', problems, '\n');
  if (problems.length > 0) throw new ConfigError(problems);
  return { secretLabels, secretAnnotations, events: args.events };
}
