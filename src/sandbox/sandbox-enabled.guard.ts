import { CanActivate, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { sandboxConfig } from '../config/configuration';
import { DomainError, ErrorCode } from '../common/errors';

/** The sandbox routes answer 404 unless PAYMENT_GATEWAY=sandbox outside production. */
@Injectable()
export class SandboxEnabledGuard implements CanActivate {
  constructor(@Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>) {}

  canActivate(): boolean {
    if (!this.cfg.enabled) throw new DomainError(ErrorCode.NOT_FOUND, 'Not found');
    return true;
  }
}
