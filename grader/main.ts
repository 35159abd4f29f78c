// The CLI with every command registered. Commands beyond grade/tasks/demo
// (batch, check) register themselves here.
export { main } from './cli.js';
