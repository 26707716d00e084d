import 'dotenv/config';
import { createApp } from './bootstrap';
import { validateEnv } from './config/env.validation';

async function main() {
  let env;
  try {
    env = validateEnv(process.env);
  } catch (err) {
    // one clear line naming the variable, then stop
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  const app = await createApp();
  await app.listen({ port: env.PORT, host: env.HOST });
}

main().catch((err) => {
  process.stderr.write(`oncepay failed to start: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
