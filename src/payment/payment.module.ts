import { Module } from '@nestjs/common';
import { AlipayGateway } from './gateway/alipay.gateway';
import { PAYMENT_GATEWAY } from './gateway/payment-gateway';
import { PaymentKeysProvider } from './gateway/payment-keys.provider';

@Module({
  providers: [PaymentKeysProvider, AlipayGateway, { provide: PAYMENT_GATEWAY, useExisting: AlipayGateway }],
  exports: [PAYMENT_GATEWAY],
})
export class PaymentModule {}
