import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig, type GoLiveConfig } from './config';

/** Reads and validates golive.config.yaml (CLI, local runtime, CDK synth; never inside a Lambda). */
export function loadConfig(file: string): GoLiveConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, []);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`, []);
  }
  return parseConfig(raw, file);
}
