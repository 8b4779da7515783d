export { EXIT } from '../report/exit-codes.js';

export function fail(message: string, code: number): never {
  process.stderr.write(`badgateway: ${message}\n`);
  process.exit(code);
}
