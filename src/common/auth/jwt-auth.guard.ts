import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { appConfig } from '../../config/configuration';
import { DomainError, ErrorCode } from '../errors';
import { AuthUser, IS_PUBLIC, Role, ROLES, USER_ID_PATTERN } from './auth.decorators';

interface Claims {
  sub?: unknown;
  role?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/**
 * Global guard: every route needs `Authorization: Bearer <HS256 JWT>` unless marked @Public().
 * A token is accepted only with an `exp` no further than JWT_MAX_LIFETIME_S from its `iat` (or from now),
 * a `sub` matching USER_ID_PATTERN, a known role, and `iss`/`aud` when those are configured.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest();
    const header: string | undefined = req.headers?.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Missing bearer token');
    let payload: Claims;
    try {
      payload = await this.jwt.verifyAsync(m[1], {
        algorithms: ['HS256'],
        ...(this.app.jwtIssuer ? { issuer: this.app.jwtIssuer } : {}),
        ...(this.app.jwtAudience ? { audience: this.app.jwtAudience } : {}),
      });
    } catch {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Invalid or expired token');
    }
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Token has no expiry (exp)');
    }
    const from = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
    if (payload.exp - from > this.app.jwtMaxLifetimeS) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Token lifetime exceeds the allowed maximum');
    }
    if (typeof payload.sub !== 'string' || !USER_ID_PATTERN.test(payload.sub)) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Token sub must be 1-64 characters of [A-Za-z0-9_.:@-]');
    }
    if (payload.role !== 'user' && payload.role !== 'admin') {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Token lacks a valid role');
    }
    const user: AuthUser = { userId: payload.sub, role: payload.role };
    req.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(user.role)) {
      throw new DomainError(ErrorCode.FORBIDDEN, `Requires role ${roles.join(' or ')}`);
    }
    return true;
  }
}
