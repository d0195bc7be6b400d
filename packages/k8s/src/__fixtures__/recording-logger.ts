import type { Logger } from '@ecr-refresh/core';

/** A logger keeping `<level>: <message>` of each line in `lines`. */
export function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (fields: object | string, message?: string) =>
    lines.push(`${level}: ${typeof fields === 'string' ? fields : (message ?? '')}`);
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}
