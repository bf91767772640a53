import { onLocalStores } from './local-stores.js';
import { sessionListContract } from './session-list-contract.js';

onLocalStores('session listing', sessionListContract);
