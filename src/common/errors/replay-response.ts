/**
 * A response to send again as it was first sent (Idempotency-Key replay). Lives in common/ so the
 * one exception filter can answer it; the idempotency module extends it as IdempotentReplay.
 */
export class ReplayResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}
