import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { OneTimeTokenService } from './one-time-token.service';
import { ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';

export class IdempotencyTokenResponse {
  @ApiProperty({ example: 'Vx1bQ2u7lT0cYk3m9PpA4ZsR' })
  token: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T13:00:00.123Z' })
  expiresAt: string;
}

@ApiTags('idempotency')
@ApiBearerAuth()
@Controller('idempotency-tokens')
export class IdempotencyTokenController {
  constructor(private readonly tokens: OneTimeTokenService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue a one-time token; send it once as the Idempotency-Token header of a submit',
  })
  @ApiCreatedResponse({
    type: IdempotencyTokenResponse,
    description: 'a token good for one submit until expiresAt',
  })
  @ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
  issue(@CurrentUser() user: AuthUser): Promise<IdempotencyTokenResponse> {
    return this.tokens.issue(user.userId);
  }
}
