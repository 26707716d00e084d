import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { FaultTimes, OptionalBool, OptionalIn, OptionalNested, SimNotifyTimingDto } from '../core/sim.dto';
import {
  WX_FAULTS,
  WX_NOTIFY_MODES,
  WX_REFUND_OUTCOMES,
  WxFault,
  WxNotifyMode,
  WxRefundOutcome,
} from './wechat-sandbox.types';

export class WxNotifyOptionsDto extends SimNotifyTimingDto {
  @ApiProperty({ enum: WX_NOTIFY_MODES, example: 'normal' })
  @IsIn(WX_NOTIFY_MODES)
  mode: WxNotifyMode;
}

export class WxPayDto {
  @OptionalNested(WxNotifyOptionsDto)
  notify?: WxNotifyOptionsDto;

  @OptionalBool('Pay a closed transaction (a payment that lands after the close)')
  allowAfterClose?: boolean;
}

export class WxFaultsDto {
  @OptionalIn(WX_FAULTS, { example: 'system_error' })
  query?: WxFault;

  @OptionalIn(WX_FAULTS, { example: 'none' })
  close?: WxFault;

  @OptionalIn(WX_FAULTS, { example: 'none' })
  refund?: WxFault;

  @FaultTimes()
  times?: number;

  @OptionalIn(WX_REFUND_OUTCOMES, { example: 'SUCCESS', description: 'How this trade’s refunds settle' })
  refundOutcome?: WxRefundOutcome;
}
