// The wallet module's face: its services and types, never its repositories.
export * from './wallet.module';
export * from './wallet.service';
export { UserRowMissing } from './wallet.repository';
export * from './dto/account.dto';
export * from './transfer.service';
export * from './dto/transfer.dto';
export * from './transfer-state';
