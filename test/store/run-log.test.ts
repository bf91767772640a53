import { onLocalStores } from './local-stores.js';
import { runLogContract } from './run-log-contract.js';

onLocalStores('run store and event log', runLogContract);
