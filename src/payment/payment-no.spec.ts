import { DomainError, ErrorCode } from '../common/errors';
import { newOrderNo } from '../order/order-no';
import { isPrecreateRefusal } from './channels/wechat/wechat.gateway';
import { MAX_PAYMENT_ATTEMPTS, paymentNoFor } from './payment-no';

describe('paymentNoFor', () => {
  it("numbers attempts 01 … 99, each within WeChat's 32 characters", () => {
    const orderNo = newOrderNo();
    expect(paymentNoFor(orderNo, 1)).toBe(`${orderNo}P01`);
    expect(paymentNoFor(orderNo, MAX_PAYMENT_ATTEMPTS)).toHaveLength(32);
  });

  it('refuses the 100th attempt with 409 PAYMENT_ATTEMPTS_EXHAUSTED', () => {
    const err = (() => {
      try {
        paymentNoFor('O1', MAX_PAYMENT_ATTEMPTS + 1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(ErrorCode.PAYMENT_ATTEMPTS_EXHAUSTED);
    expect((err as DomainError).details).toEqual({ orderNo: 'O1', attempts: 99, max: 99 });
  });
});

describe('isPrecreateRefusal (WeChat pre-pay)', () => {
  it.each([
    [400, 'PARAM_ERROR', true],
    [403, 'OUT_TRADE_NO_USED', true],
    [400, 'ORDER_CLOSED', true],
    [403, 'NO_AUTH', true],
    [400, 'APPID_MCHID_NOT_MATCH', true],
    [400, 'ORDERPAID', false],
    [500, 'SYSTEM_ERROR', false],
    [400, 'SYSTEM_ERROR', false],
    [429, 'FREQUENCY_LIMITED', false],
    [401, 'SIGN_ERROR', false],
    [404, undefined, false],
    [502, 'BAD_GATEWAY', false],
  ])('HTTP %s %s → refusal %s', (status, code, refusal) => {
    expect(isPrecreateRefusal(status, code)).toBe(refusal);
  });
});
