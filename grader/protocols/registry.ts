// Every protocol a task can name (`protocol:` in task.yaml), one line each.
// A protocol is one folder here: codec, checks, diagnoses and its Protocol.
import { calculatorProtocol } from './calculator/index.js';
import { integersProtocol } from './integers/index.js';
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
