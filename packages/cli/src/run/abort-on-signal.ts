import { exitStatusOfSignal } from '../exit-status.ts';

/** What {@link abortOnSignal} tells its caller; each must not throw. */
export interface SignalHooks {
  /** Called at the first signal, once the signal has aborted. */
  readonly onAbort?: ((signal: NodeJS.Signals) => void) | undefined;
  /** Called at the second signal, just before the process exits. */
  readonly onExit?: ((signal: NodeJS.Signals) => void) | undefined;
}

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM, so work in flight stops cleanly; a
 * second signal exits at once, with 130 (SIGINT) or 143 (SIGTERM).
 */
export function abortOnSignal(hooks: SignalHooks = {}): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      hooks.onExit?.(signal);
      process.exit(exitStatusOfSignal(signal));
    }
    controller.abort(new Error(`interrupted by ${signal}`));
    hooks.onAbort?.(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
