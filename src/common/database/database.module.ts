import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig } from '../../config/configuration';
import { MetricsModule } from '../metrics/metrics.module';
import { buildDataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { ReplicaReads } from './replica-reads';
import { TransactionService } from './transaction.service';

@Global()
@Module({
  imports: [
    MetricsModule, // TransactionService counts its retries
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: async (db: ConfigType<typeof databaseConfig>) => {
        if (db.createDatabase) await ensureDatabase(db);
        return {
          ...buildDataSourceOptions(db),
          autoLoadEntities: true,
          // fail fast at boot instead of retrying for half a minute
          retryAttempts: 2,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers: [TransactionService, ReplicaReads],
  exports: [TransactionService, ReplicaReads],
})
export class DatabaseModule {}
