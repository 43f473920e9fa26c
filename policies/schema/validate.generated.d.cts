// Types for the validator scripts/gen-validator.mjs generates from mandate.schema.json.
import type { ValidateFunction } from 'ajv';

declare const validate: ValidateFunction;
export = validate;
