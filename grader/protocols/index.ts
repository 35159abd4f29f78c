import { calculatorProtocol } from './calculator.js';
import { integersProtocol } from './integers.js';
import type { Protocol } from './protocol.js';

const protocols: Record<string, Protocol> = {
  [calculatorProtocol.name]: calculatorProtocol,
  [integersProtocol.name]: integersProtocol,
};

export function protocolNamed(name: string): Protocol | undefined {
  return protocols[name];
}

export function protocolNames(): string[] {
  return Object.keys(protocols);
}
