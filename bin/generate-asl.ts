import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAslText } from '../lambdas/core/workflow/asl';
import { GO_LIVE } from '../lambdas/core/workflow/definition';

/** `npm run asl`: renders the typed workflow (lambdas/core/workflow/definition.ts) into the file both runtimes run. */
export const ASL_FILE = join(__dirname, '..', 'state-machines', 'go-live.asl.json');

if (require.main === module) {
  writeFileSync(ASL_FILE, renderAslText(GO_LIVE));
  console.log(`wrote ${ASL_FILE}`);
}
