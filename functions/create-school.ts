import { httpHandler } from '../shared/http/handler';
import { idempotent } from '../shared/http/idempotency';
import { created } from '../shared/http/responses';
import { CreateSchoolBody } from '../shared/schemas';
import { createSchool } from '../shared/services/schools';
import { parseInput } from '../shared/validation';

/** POST /schools, once per Idempotency-Key */
export const handler = httpHandler(async (event) => {
  const input = parseInput(CreateSchoolBody, event.body);
  return idempotent(event, async (transaction) => {
    const school = await createSchool(input, { transaction });
    return created(`/schools/${school.schoolId}`, school);
  });
});
