// The wallet module's face: its services and types, never its repositories.
export * from './wallet.module';
export * from './wallet.service';
export { UserRowMissing } from './wallet.repository';
export * from './dto/account.dto';
