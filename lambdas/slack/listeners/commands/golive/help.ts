import { USAGE } from '../../../context';
import type { Subcommand } from '../../types';

/** `/golive help`. */
export const help: Subcommand = () => ({
  async answer({ ack }) {
    await ack({ response_type: 'ephemeral', text: USAGE });
  },
});
