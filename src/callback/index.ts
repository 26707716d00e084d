/**
 * The callback module's face: what the app wires (eslint.config.mjs refuses any other path into
 * src/callback from outside it). Nothing else imports the callback module: it depends on payment, never
 * the reverse.
 */
export { CallbackModule } from './callback.module';
