import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { DomainError, ErrorCode } from '../errors';
import { AuthUser, IS_PUBLIC, Role, ROLES } from './auth.decorators';

/** Global guard: every route needs `Authorization: Bearer <HS256 JWT>` unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest();
    const header: string | undefined = req.headers?.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Missing bearer token');
    let payload: { sub?: unknown; role?: unknown };
    try {
      payload = await this.jwt.verifyAsync(m[1], { algorithms: ['HS256'] });
    } catch {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Invalid or expired token');
    }
    if (
      typeof payload.sub !== 'string' ||
      !payload.sub ||
      (payload.role !== 'user' && payload.role !== 'admin')
    ) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Token lacks sub or role');
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
