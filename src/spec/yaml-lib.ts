/**
 * @module spec/yaml-lib
 * The `yaml` library, loaded on first use: most workflow files are read by
 * the fast reader (fast-yaml.ts) and never need it, and loading it costs
 * tens of milliseconds of start-up.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

type YamlModule = typeof Yaml;

let loaded: YamlModule | undefined;

export function yamlLib(): YamlModule {
  return (loaded ??= createRequire(import.meta.url)('yaml') as YamlModule);
}
