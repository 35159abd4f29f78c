// The grading job's entry (job-process.ts): starts setting up its own
// namespaces (own-namespaces.ts), then loads the job (main.ts), so that
// Node's loading of the job's modules and those short processes overlap.
import { gradingPidOf, setUpOwnNamespaces } from './own-namespaces.js';

const gradingPid = gradingPidOf(process.argv);
if (gradingPid !== null) void setUpOwnNamespaces(gradingPid);
await import('./main.js');
