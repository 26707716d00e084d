import type { TransportSingleOptions } from 'pino';

/**
 * How pino-pretty prints a line for a person: `12:03:10.456 INFO (Context): message  key=value…`,
 * one line per record, local time, without pid and hostname.
 */
export const PRETTY_OPTIONS = {
  colorize: true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname',
  messageFormat: '{if context}({context}) {end}{msg}',
};

export interface LogFormatInput {
  nodeEnv: string;
  /** process.stdout.isTTY: a person is watching a terminal */
  stdoutIsTTY: boolean;
  /** pino-pretty is a devDependency: a pruned production install does not have it */
  prettyInstalled: boolean;
}

/**
 * Logs are JSON lines (one object per record, for a log shipper) unless a person reads them: stdout is a
 * terminal, not production, and pino-pretty is installed. Then pino-pretty prints them readably.
 */
export function logFormat(i: LogFormatInput): 'pretty' | 'json' {
  return i.stdoutIsTTY && i.nodeEnv !== 'production' && i.prettyInstalled ? 'pretty' : 'json';
}

/** The pino transport for `logFormat` (undefined: pino's own JSON to stdout). */
export function logTransport(i: LogFormatInput): TransportSingleOptions | undefined {
  return logFormat(i) === 'pretty' ? { target: 'pino-pretty', options: PRETTY_OPTIONS } : undefined;
}

/** This process: its NODE_ENV, its stdout, its installed packages. */
export function currentLogFormatInput(nodeEnv: string): LogFormatInput {
  let prettyInstalled = true;
  try {
    require.resolve('pino-pretty');
  } catch {
    prettyInstalled = false;
  }
  return { nodeEnv, stdoutIsTTY: !!process.stdout.isTTY, prettyInstalled };
}
