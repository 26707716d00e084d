/**
 * One story for every example in the OpenAPI document, so they agree with each other and with the
 * README walk-through: the tea order of step 4 (2 × 8800 fen), paid by Alipay, refunded in part.
 */
export const EX = {
  orderNo: '20261123120000123456789012345',
  paymentNo: '20261123120000123456789012345P01',
  refundNo: 'R20261123121500123456123456',
  refundRequestNo: 'RQ20261123121000123456123456789',
  requestId: '0b8f3c3e-6a5d-4f1e-9a7b-2c4d5e6f7a8b',
  createdAt: '2026-11-23T12:00:00.123Z',
  expiresAt: '2026-11-23T12:15:00.123Z',
  paidAt: '2026-11-23T12:03:10.456Z',
  refundedAt: '2026-11-23T12:15:00.789Z',
} as const;
