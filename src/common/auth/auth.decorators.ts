import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'oncepay:isPublic';
/** Marks public operations in the OpenAPI document; buildOpenApi turns it into `security: []` (no padlock). */
export const OPENAPI_PUBLIC = 'x-oncepay-public';
export const ROLES = 'oncepay:roles';

export type Role = 'user' | 'admin';

/**
 * What a user id (JWT `sub`) may look like: 1–64 characters of `A–Z a–z 0–9 _ - . : @`. Anything else is
 * refused at the guard, before the id can reach a query, a Redis key or a log line (docs/security.md).
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

export interface AuthUser {
  userId: string;
  role: Role;
}

/**
 * Marks a route (or every route of a controller) as open: no bearer token needed. The same mark
 * documents it as public in Swagger, so the guard and the docs cannot disagree.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(OPENAPI_PUBLIC, true));

/** Restricts a route to the given roles (403 FORBIDDEN otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The authenticated caller, as read from the JWT. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest().user as AuthUser;
});
