import { controlButton } from './control-button';

/** Promote on the status card (release managers of the service). */
export const promote = controlButton('promote');
