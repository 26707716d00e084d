import { applyDecorators, Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';

/** The DTO pieces every face's buyer and fault routes share: validation and Swagger on one decorator. */
export const OptionalIn = (
  values: readonly string[],
  extra: { example?: string; description?: string } = {},
) => applyDecorators(ApiPropertyOptional({ enum: values, ...extra }), IsOptional(), IsIn([...values]));

export const OptionalInt = (minimum: number, maximum: number, description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum, maximum, description }),
    IsOptional(),
    IsInt(),
    Min(minimum),
    Max(maximum),
  );

export const OptionalBool = (description: string) =>
  applyDecorators(ApiPropertyOptional({ default: false, description }), IsOptional(), IsBoolean());

export const OptionalNested = (type: new () => object, description?: string) =>
  applyDecorators(
    ApiPropertyOptional({ type, description }),
    IsOptional(),
    ValidateNested(),
    Type(() => type),
  );

/** `times` of a fault-arming body: how many calls fail. */
export const FaultTimes = () =>
  OptionalInt(1, 1000, 'How many calls fail (default 1), for every fault set here');

/** A view's nullable property (`type` a class, String or 'integer'), with its example. */
export const Nullable = (type: Class | 'integer', example: unknown, description?: string) =>
  ApiProperty({ type, nullable: true, example, ...(description ? { description } : {}) });

/** A view's instant (ISO 8601), nullable with `null`. */
export const At = (example: string | null, nullable?: 'null') =>
  ApiProperty(
    nullable
      ? { type: String, format: 'date-time', nullable: true, example }
      : { format: 'date-time', example },
  );

/** How a notify is delivered: a face's subclass adds `mode` with its own modes. */
export class SimNotifyTimingDto {
  @OptionalInt(
    1,
    20,
    'duplicate: concurrent copies (default 2); corrupting modes: deliveries corrupted (default 1)',
  )
  times?: number;

  @OptionalInt(0, 3_600_000, 'delay: milliseconds before the first delivery (not scaled)')
  delayMs?: number;
}

/** An armed fault as a trade view shows it. */
export class SimFaultState {
  @ApiProperty({ example: 'timeout' })
  fault: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: 'calls still to fail' })
  left: number;
}

/** One delivery of a notify to oncepay and what oncepay answered: the same shape for every protocol. */
export class SimAttemptView {
  @ApiProperty({ example: 'ac05099524730693a8b330c5ecf72da9' })
  notifyId: string;

  @ApiProperty({
    example: 'TRADE_SUCCESS',
    description: 'what the notify says: Alipay trade_status, WeChat event_type, UnionPay `txnType/respCode`',
  })
  event: string;

  @Nullable(String, null, 'refund notifies: the refund number')
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

  @Nullable('integer', 200)
  httpStatus: number | null;

  @Nullable(String, 'success', 'what oncepay answered')
  responseBody: string | null;

  @Nullable(String, null)
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
