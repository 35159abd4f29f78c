// The CLI with every command registered. Commands beyond grade/tasks/demo
// (batch, check, doctor) register themselves here.
export { main } from './cli.js';
import { registerCommand } from './cli.js';
import { cmdCheck } from './check/command.js';
import { batchCommand } from './batch/command.js';
import { cmdDoctor } from './doctor.js';

registerCommand('check', cmdCheck);
registerCommand('batch', batchCommand);
registerCommand('doctor', cmdDoctor);
