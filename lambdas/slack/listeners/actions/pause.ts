import { controlButton } from './control-button';

/** Pause on the status card (release managers of the service). */
export const pause = controlButton('pause');
