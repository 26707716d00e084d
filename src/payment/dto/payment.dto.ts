import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { PaymentChannel, PaymentStatus } from '../entities/payment.entity';

export class CreatePaymentDto {
  @ApiProperty({
    enum: ['alipay', 'wechat', 'wallet'],
    example: 'alipay',
    description: 'one of the channels enabled by PAYMENT_CHANNELS',
  })
  @IsIn(['alipay', 'wechat', 'wallet'])
  channel: PaymentChannel;
}

export class PaymentResponse {
  @ApiProperty({ example: '20261123114005123123456789012P01' })
  paymentNo: string;

  @ApiProperty({ example: '20261123114005123123456789012' })
  orderNo: string;

  @ApiProperty({ enum: ['alipay', 'wechat', 'wallet'], example: 'alipay' })
  channel: PaymentChannel;

  @ApiProperty({ enum: ['PENDING', 'SUCCESS', 'CLOSED'], example: 'PENDING' })
  status: PaymentStatus;

  @ApiProperty({ example: 12345, description: 'integer fen' })
  amount: number;

  @ApiPropertyOptional({
    example: 'https://qr.alipay.com/sbx8c1f0d6a2b4e',
    nullable: true,
    description:
      'alipay: qr_code, wechat: code_url — the code to show the buyer (null until the gateway answered)',
  })
  qrCode: string | null;

  @ApiProperty({ example: '2026-11-23T11:55:05.000Z' })
  expiresAt: string;

  @ApiPropertyOptional({ example: null, nullable: true })
  paidAt: string | null;

  @ApiPropertyOptional({ example: null, nullable: true })
  closedAt: string | null;

  @ApiProperty({ example: '2026-11-23T11:40:05.000Z' })
  createdAt: string;
}
