import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
export async function callbackRows(_ctx: BenchContext, _a: Instance): Promise<void> {}
