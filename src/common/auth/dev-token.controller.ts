import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import { paymentConfig } from '../../config/configuration';
import { DomainError, ErrorCode } from '../errors';
import { Public, Role, USER_ID_PATTERN } from './auth.decorators';

export class DevTokenDto {
  @ApiProperty({ example: 'admin-1', pattern: USER_ID_PATTERN.source, description: 'user id put in `sub`' })
  @IsString()
  @Matches(USER_ID_PATTERN)
  userId: string;

  @ApiProperty({ enum: ['user', 'admin'], example: 'admin', description: 'admin: catalog writes, refunds' })
  @IsIn(['user', 'admin'])
  role: Role;
}

export class DevTokenResponse {
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbi0xIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl',
    description: 'paste it into Authorize (without "Bearer"); valid DEV_TOKEN_TTL_S (1 h)',
  })
  token: string;
}

@ApiTags('dev')
@Controller('dev/tokens')
export class DevTokenController {
  constructor(
    private readonly jwt: JwtService,
    @Inject(paymentConfig.KEY) private readonly payment: ConfigType<typeof paymentConfig>,
  ) {}

  @Public()
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Mint a JWT (only while the sandbox gateway is on and not in production)' })
  @ApiBody({
    type: DevTokenDto,
    examples: {
      admin: { summary: 'step 1: an admin', value: { userId: 'admin-1', role: 'admin' } },
      user: { summary: 'step 3: a buyer', value: { userId: 'u-1001', role: 'user' } },
    },
  })
  @ApiCreatedResponse({ type: DevTokenResponse, description: 'a signed token for this user id and role' })
  @ApiNotFoundResponse({ description: 'sandbox off or production' })
  async mint(@Body() dto: DevTokenDto): Promise<DevTokenResponse> {
    if (!this.payment.sandboxEnabled) throw new DomainError(ErrorCode.NOT_FOUND, 'Not found');
    // lifetime DEV_TOKEN_TTL_S (1 h by default), from the module's sign options
    const token = await this.jwt.signAsync({ sub: dto.userId, role: dto.role });
    return { token };
  }
}
