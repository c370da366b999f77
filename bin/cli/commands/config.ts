import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../../../lambdas/core/config';
import { configPath, readConfig, type GlobalOptions } from '../context';
import { EXIT, usageError } from '../errors';
import type { Command } from '../main';

export const configCommand: Command = {
  usage: 'golive config validate | golive config schema [--out <file>]',
  summary: 'Validate golive.config.yaml, or write its JSON Schema for editor completion.',
  options: { out: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as GlobalOptions & { out?: string };
    switch (positionals[0]) {
      case 'validate': {
        const config = readConfig(v);
        io.out(
          `${configPath(v)} is valid: ${Object.keys(config.services).length} service(s): ${Object.keys(config.services).join(', ')}`,
        );
        return EXIT.ok;
      }
      case 'schema': {
        const schema = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
        if (v.out) {
          writeFileSync(v.out, schema);
          io.out(`wrote ${v.out}`);
        } else io.out(schema);
        return EXIT.ok;
      }
      default:
        throw usageError(`name a subcommand: validate or schema\nUsage: ${configCommand.usage}`);
    }
  },
};
