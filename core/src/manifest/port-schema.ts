// A port number as manifests write it: shared by the manifest schema and its exports.

import { z } from 'zod';
import { expected } from './messages.js';

const PORT_WORDS = 'an integer from 1 to 65535';
export const port = z
  .number(expected(PORT_WORDS))
  .int(expected(PORT_WORDS))
  .min(1, expected(PORT_WORDS))
  .max(65535, expected(PORT_WORDS));
