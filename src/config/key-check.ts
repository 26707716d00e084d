/** A configured key as /health reports it (`sandbox`: not configured, the sandbox publishes its own). */
export type KeyState = 'ready' | 'missing' | 'invalid' | 'sandbox';

/** One channel's keys, checked: each key's state, and what is wrong, naming the variable. */
export interface ChannelKeyCheck {
  keys: Record<string, KeyState>;
  /** in the order they are reported; production refuses to start on the first */
  problems: Array<{ variable: string; message: string }>;
}
