import { Provider } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { callbackConfig } from '../../config/configuration';
import { DEDUP_STRATEGY, DedupStrategy } from './dedup-strategy';
import {
  CheckThenActStrategy,
  ForUpdateStrategy,
  MutexStrategy,
  OptimisticStrategy,
} from './demo.strategies';
import { UniqueKeyStrategy } from './unique-key.strategy';

export * from './dedup-strategy';

/** All strategies, and DEDUP_STRATEGY = the one CALLBACK_DEDUP_STRATEGY names (default unique_key). */
export const DEDUP_STRATEGY_PROVIDERS: Provider[] = [
  UniqueKeyStrategy,
  CheckThenActStrategy,
  MutexStrategy,
  ForUpdateStrategy,
  OptimisticStrategy,
  {
    provide: DEDUP_STRATEGY,
    inject: [
      callbackConfig.KEY,
      UniqueKeyStrategy,
      CheckThenActStrategy,
      MutexStrategy,
      ForUpdateStrategy,
      OptimisticStrategy,
    ],
    useFactory: (cfg: ConfigType<typeof callbackConfig>, ...all: DedupStrategy[]): DedupStrategy => {
      const chosen = all.find((s) => s.name === cfg.dedupStrategy);
      if (!chosen) throw new Error(`unknown CALLBACK_DEDUP_STRATEGY ${cfg.dedupStrategy}`);
      return chosen;
    },
  },
];
