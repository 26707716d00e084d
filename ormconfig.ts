import 'dotenv/config';
import { DataSource } from 'typeorm';
import { databaseOptionsFromEnv } from './src/config/configuration';
import { validateEnv } from './src/config/env.validation';
import { buildDataSourceOptions } from './src/common/database/data-source-options';

/** The TypeORM CLI's DataSource (npm run migration:*): same options and migrations as the app. */
export default new DataSource(
  buildDataSourceOptions(databaseOptionsFromEnv(validateEnv(process.env)), [
    __dirname + '/src/**/*.entity.{ts,js}',
  ]),
);
