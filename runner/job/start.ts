// The grading job's entry (job-process.ts): starts setting up its own
// network (own-namespaces.ts), then loads the job (main.ts), so that Node's
// loading of the job's modules and that short process overlap.
import { hasOwnNamespaces } from './own-namespaces-flag.js';
import { setUpOwnNamespaces } from './own-namespaces.js';

if (hasOwnNamespaces(process.argv)) void setUpOwnNamespaces();
await import('./main.js');
