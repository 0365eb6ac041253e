export { type RunningProcess, type StartProcessOptions, startProcess } from './child-process.js';
export { freePort } from './ports.js';
export { createRng, type Rng } from './rng.js';
export { nextEvent, type WaitForOptions, waitFor } from './wait-for.js';
