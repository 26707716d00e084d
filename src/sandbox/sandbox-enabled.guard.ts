import { CanActivate, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/configuration';
import { DomainError, ErrorCode } from '../common/errors';

/** The sandbox routes answer 404 unless PAYMENT_GATEWAY=sandbox outside production. */
@Injectable()
export class SandboxEnabledGuard implements CanActivate {
  constructor(@Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>) {}

  canActivate(): boolean {
    if (!this.cfg.sandboxEnabled) throw new DomainError(ErrorCode.NOT_FOUND, 'Not found');
    return true;
  }
}
