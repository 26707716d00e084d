/** The sandbox speaks Alipay's China-time formats through the one helper (src/common/china-time.ts). */
export { cstDay, fromCst, toCst, toCstRfc3339 } from '../common/china-time';
