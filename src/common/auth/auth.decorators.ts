import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'oncepay:isPublic';
export const ROLES = 'oncepay:roles';

export type Role = 'user' | 'admin';

export interface AuthUser {
  userId: string;
  role: Role;
}

/** Marks a route as open: no bearer token needed. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Restricts a route to the given roles (403 FORBIDDEN otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The authenticated caller, as read from the JWT. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest().user as AuthUser;
});
