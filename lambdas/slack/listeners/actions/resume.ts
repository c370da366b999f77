import { controlButton } from './control-button';

/** Resume on the status card (release managers of the service). */
export const resume = controlButton('resume');
