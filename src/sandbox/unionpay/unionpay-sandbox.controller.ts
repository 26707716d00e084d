import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../../common/errors';
import { sandboxConfig } from '../../config/configuration';
import {
  FaultTimes,
  OptionalBool,
  OptionalIn,
  OptionalNested,
  SimAttemptView,
  SimNotifyTimingDto,
} from '../core/sim.dto';
import { UnionpaySandboxService } from './unionpay-sandbox.service';
import { UP_FAULTS, UP_NOTIFY_MODES, UpFault, UpNotifyMode } from './unionpay-sandbox.types';

export class UpNotifyOptionsDto extends SimNotifyTimingDto {
  @ApiProperty({ enum: UP_NOTIFY_MODES, example: 'normal' })
  @IsIn(UP_NOTIFY_MODES)
  mode: UpNotifyMode;
}

export class UpPayDto {
  @OptionalNested(UpNotifyOptionsDto)
  notify?: UpNotifyOptionsDto;

  @OptionalBool('Pay after payTimeout (a payment that lands after oncepay closed it)')
  afterTimeout?: boolean;
}

export class UpFaultsDto {
  @OptionalIn(UP_FAULTS)
  query?: UpFault;

  @OptionalIn(UP_FAULTS)
  refund?: UpFault;

  @FaultTimes()
  times?: number;

  @OptionalIn(['SUCCESS', 'FAIL'], { description: 'How this trade’s refunds settle' })
  refundOutcome?: 'SUCCESS' | 'FAIL';
}

export class UpPayResponse {
  @ApiProperty({ example: '202612070900001234567', description: 'UnionPay queryId of the paid consume' })
  queryId: string;

  @ApiProperty({ example: '6f1c2d9e-0b7a-4a52-9b7e-2f0d9c1e6a11' })
  notifyId: string;
}

export class UpRefundView {
  @ApiProperty({ example: 'R20261207010000000123456789012' })
  orderId: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 2000 })
  txnAmt: number;

  @ApiProperty({ enum: ['PROCESSING', 'SUCCESS', 'FAIL'] })
  status: string;

  @ApiProperty({ example: '202612070901001234567' })
  queryId: string;
}

/** The core's attempt, with this face's older name of the notified order (`ref` ?? the consume). */
export class UpAttemptView extends SimAttemptView {
  @ApiProperty() orderId: string;
}

export class UpTradeView {
  @ApiProperty({ example: '20261207010000123123456789012P01' }) orderId: string;
  @ApiProperty({ example: '20261207090000' }) txnTime: string;
  @ApiProperty({ type: 'integer', minimum: 1, example: 12345 }) txnAmt: number;
  @ApiProperty() queryId: string;
  @ApiProperty({ enum: ['WAIT', 'SUCCESS'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) qrCode: string | null;
  @ApiProperty() backUrl: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) refunded: number;
  @ApiProperty({ type: [UpRefundView] }) refunds: UpRefundView[];
  @ApiProperty({ type: [UpAttemptView] }) notifyAttempts: UpAttemptView[];
}

/**
 * The UnionPay simulator over HTTP: the gateway's endpoints (form in, `k=v&…` out, as UnionPay answers)
 * and the buyer / fault controls. 404 unless the sandbox is on.
 */
@ApiTags('sandbox')
@Public()
@Controller({ path: 'sandbox/unionpay', version: VERSION_NEUTRAL })
export class UnionpaySandboxController {
  constructor(
    private readonly up: UnionpaySandboxService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  @Post('gateway/api/:endpoint')
  @ApiExcludeEndpoint()
  async gateway(@Param('endpoint') endpoint: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    this.on();
    const kind = { 'backTransReq.do': 'back', 'queryTrans.do': 'query', 'fileTransRequest.do': 'file' }[
      endpoint
    ] as 'back' | 'query' | 'file' | undefined;
    if (!kind) throw new NotFoundException();
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
    const a = await this.up.handle(kind, fields);
    if ('timeout' in a) {
      // never answered: the client's timeout fires first; then the connection is dropped
      await new Promise((r) => setTimeout(r, 15_000));
      reply.raw.destroy();
      return;
    }
    const text = Object.entries(a.fields)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    await reply.status(200).header('content-type', 'text/plain;charset=UTF-8').send(text);
  }

  @Post('trades/:orderId/pay')
  @HttpCode(200)
  @ApiOperation({ summary: 'The buyer pays a UnionPay QR consume (notify mode as in docs/unionpay.md)' })
  @ApiOkResponse({ type: UpPayResponse, description: 'paid; the notify is on its way (or dropped)' })
  async pay(@Param('orderId') orderId: string, @Body() dto: UpPayDto) {
    this.on();
    const r = await this.up.pay(
      orderId,
      dto.notify?.mode ?? 'normal',
      dto.notify?.times,
      dto.notify?.delayMs,
      dto.afterTimeout,
    );
    if (r.status === 404) throw new DomainError(ErrorCode.NOT_FOUND, `No UnionPay transaction ${orderId}`);
    if (r.status === 409) throw new DomainError(ErrorCode.CONFLICT, r.reason ?? 'not payable');
    return { queryId: r.queryId, notifyId: r.notifyId };
  }

  @Post('trades/:orderId/faults')
  @HttpCode(200)
  @ApiOperation({ summary: 'Arm query / refund faults and the refund outcome of a UnionPay consume' })
  @ApiOkResponse({ type: UpTradeView, description: 'the consume with its faults armed' })
  async faults(@Param('orderId') orderId: string, @Body() dto: UpFaultsDto) {
    this.on();
    if (!(await this.up.armFaults(orderId, dto)))
      throw new DomainError(ErrorCode.NOT_FOUND, `No UnionPay transaction ${orderId}`);
    return this.up.view(orderId);
  }

  @Get('trades/:orderId')
  @ApiOperation({ summary: 'A UnionPay consume with its refunds and notify attempts' })
  @ApiOkResponse({ type: UpTradeView, description: 'the consume, its refunds and notify attempts' })
  async view(@Param('orderId') orderId: string) {
    this.on();
    const v = await this.up.view(orderId);
    if (!v) throw new DomainError(ErrorCode.NOT_FOUND, `No UnionPay transaction ${orderId}`);
    return v;
  }

  private on(): void {
    if (!this.cfg.enabled) throw new DomainError(ErrorCode.NOT_FOUND, 'Not found');
  }
}
