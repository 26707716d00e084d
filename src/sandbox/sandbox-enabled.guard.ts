import {
  applyDecorators,
  CanActivate,
  Controller,
  Inject,
  Injectable,
  UseGuards,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
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

/** A simulator controller: public (a gateway takes no user token), unversioned, 404 while the sandbox is off. */
export const SandboxRoutes = (tag: string, path: string) =>
  applyDecorators(
    ApiTags(tag),
    Public(),
    UseGuards(SandboxEnabledGuard),
    Controller({ path, version: VERSION_NEUTRAL }),
  );
