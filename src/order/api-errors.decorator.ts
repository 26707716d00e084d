/** ApiErrors lives in common/openapi (every module documents its errors with it); kept here for imports. */
export { ApiErrors } from '../common/openapi/api-errors.decorator';
