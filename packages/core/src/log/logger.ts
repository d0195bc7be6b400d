import { pino } from 'pino';
import { redactSecrets } from './redaction.ts';

/** Log levels, from most to least verbose; `silent` logs nothing. */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object a line, for machines; `pretty`: readable text; `auto`: pretty on a TTY. */
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

type LogMethod = {
  (message: string): void;
  (fields: object, message?: string): void;
};

/**
 * The logger ecr-refresh's packages write to. Structurally compatible with a pino logger, so a
 * library user can pass their own; library code never prints anywhere else.
 */
export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child(bindings: Record<string, unknown>): Logger;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; standard error by default, so standard output stays for results. */
  destination?: NodeJS.WritableStream & { fd?: number; isTTY?: boolean };
}

/**
 * Creates a pino logger whose every line is passed through {@link redactSecrets} before it is
 * written, so a secret registered for redaction cannot reach the log whatever field it hides in.
 */
export async function createLogger(options: CreateLoggerOptions = {}): Promise<Logger> {
  const destination = options.destination ?? process.stderr;
  const pretty =
    options.format === 'pretty' || (options.format !== 'json' && destination.isTTY === true);
  const stream = pretty ? await createPrettyStream(destination) : destination;
  const logger: Logger = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: redactSecrets },
    },
    stream,
  );
  return logger;
}

/** A logger that discards everything: the default of every library entry point. */
export const silentLogger: Logger = pino({ level: 'silent' });

async function createPrettyStream(
  destination: NodeJS.WritableStream,
): Promise<NodeJS.WritableStream> {
  // Loaded only for a TTY: machines get JSON and never pay for the pretty printer.
  const { default: pretty } = await import('pino-pretty');
  return pretty({ destination, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' });
}
