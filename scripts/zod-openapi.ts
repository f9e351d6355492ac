import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';

// zod 4 gives each schema the prototype's methods when it is built: `.openapi()`, which the registry
// names components with, must be added before shared/schemas.ts builds its schemas. Imported first by
// scripts/openapi-document.ts; never by a function, so the Lambda bundles' zod stays as it is.
extendZodWithOpenApi(z);
