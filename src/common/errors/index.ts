export * from './error-code.enum';
export * from './domain.error';
export * from './error-response';
