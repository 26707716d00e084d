import { ApiProperty } from '@nestjs/swagger';

/** One delivery of a notify to oncepay and what oncepay answered: the same shape for every protocol. */
export class SimAttemptView {
  @ApiProperty({ example: 'ac05099524730693a8b330c5ecf72da9' })
  notifyId: string;

  @ApiProperty({
    example: 'TRADE_SUCCESS',
    description: 'what the notify says: Alipay trade_status, WeChat event_type, UnionPay `txnType/respCode`',
  })
  event: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'refund notifies: the refund number',
  })
  ref: string | null;

  @ApiProperty({
    example: 'normal',
    description: "the notify mode; a re-send once a corrupting mode's copies are spent is `normal`",
  })
  mode: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 1,
    description: 'delivery number (re-sends count up)',
  })
  seq: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: 'copy number (duplicate mode)' })
  copy: number;

  @ApiProperty({
    enum: ['SENDING', 'ACKED', 'NACKED', 'ERROR', 'DROPPED'],
    example: 'ACKED',
    description:
      'ACKED: answered as the gateway requires (Alipay 200 `success`, WeChat 2xx, UnionPay 200); NACKED: any other answer; ERROR: no answer; DROPPED: never sent (drop mode)',
  })
  outcome: string;

  @ApiProperty({ type: 'integer', nullable: true, example: 200 })
  httpStatus: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'success', description: 'what oncepay answered' })
  responseBody: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  error: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'what was sent: the form fields (Alipay, UnionPay) or {headers, body} (WeChat)',
  })
  payload: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: string | null;
}
