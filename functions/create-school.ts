import { httpHandler } from '../shared/http/handler';
import { created } from '../shared/http/responses';
import { CreateSchoolBody } from '../shared/schemas';
import { createSchool } from '../shared/services/schools';
import { parseInput } from '../shared/validation';

/** POST /schools */
export const handler = httpHandler(async (event) => {
  const school = await createSchool(parseInput(CreateSchoolBody, event.body));
  return created(`/schools/${school.schoolId}`, school);
});
