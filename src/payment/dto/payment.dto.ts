import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { EX } from '../../common/openapi/examples';
import type { PaymentChannel, PaymentStatus } from '../entities/payment.entity';

export class CreatePaymentDto {
  @ApiProperty({
    enum: ['alipay', 'wechat', 'unionpay', 'wallet'],
    example: 'alipay',
    description: 'one of the channels enabled by PAYMENT_CHANNELS',
  })
  @IsIn(['alipay', 'wechat', 'unionpay', 'wallet'])
  channel: PaymentChannel;
}

export class PaymentResponse {
  @ApiProperty({
    example: EX.paymentNo,
    description: 'the `orderNo` + P01, P02, …; the out_trade_no at the gateway',
  })
  paymentNo: string;

  @ApiProperty({ example: EX.orderNo })
  orderNo: string;

  @ApiProperty({ enum: ['alipay', 'wechat', 'unionpay', 'wallet'], example: 'alipay' })
  channel: PaymentChannel;

  @ApiProperty({ enum: ['PENDING', 'SUCCESS', 'CLOSED'], example: 'PENDING' })
  status: PaymentStatus;

  @ApiProperty({ type: 'integer', minimum: 1, example: 17600, description: 'integer fen, the order total' })
  amount: number;

  @ApiProperty({
    type: String,
    example: 'https://qr.alipay.com/sbx8c1f0d6a2b4e',
    nullable: true,
    description:
      'alipay: qr_code, wechat: code_url, unionpay: qrCode — the code to show the buyer (null until the gateway answered)',
  })
  qrCode: string | null;

  @ApiProperty({ format: 'date-time', example: EX.expiresAt, description: 'not paid by then: closed' })
  expiresAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'null until SUCCESS',
  })
  paidAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'null unless CLOSED',
  })
  closedAt: string | null;

  @ApiProperty({ format: 'date-time', example: EX.createdAt })
  createdAt: string;
}
