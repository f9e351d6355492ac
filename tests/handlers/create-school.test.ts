import { handler as createSchool } from '../../functions/create-school';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';

const post = (body: unknown) => invoke(createSchool, { route: 'POST /schools', body });
const getSchool = (schoolId: string) => invoke(list, { route: 'GET /schools/{schoolId}', pathParameters: { schoolId } });
const schoolCount = () => withClient(async (c) => Number((await c.query('SELECT count(*) FROM schools')).rows[0].count));

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('POST /schools', () => {
  it('creates a school and answers 201 with the school and its Location', async () => {
    const reply = await post({ name: ' Hill Valley High ', code: 'HVH' });

    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      schoolId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Hill Valley High',
      code: 'HVH',
      sourcedId: null,
      districtId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(reply.headers.Location).toBe(`/schools/${reply.body.schoolId}`);
    expect((await getSchool(reply.body.schoolId)).body).toEqual(reply.body);
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['a blank name', { name: ' ' }, 'name'],
    ['a name over 255 characters', { name: 'n'.repeat(256) }, 'name'],
    ['a code over 64 characters', { name: 'A', code: 'c'.repeat(65) }, 'code'],
    ['a code of the wrong type', { name: 'A', code: 7 }, 'code'],
    ['an unknown field', { name: 'A', district: 'X' }, 'district'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, body, path) => {
    const reply = await post(body);

    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ status: 400, errors: [{ path, message: expect.any(String) }] });
    expect(await schoolCount()).toBe(0);
  });

  it('answers 409 when a live school has the same code', async () => {
    await post({ name: 'A', code: 'HVH' });
    const reply = await post({ name: 'B', code: 'HVH' });

    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ status: 409, detail: 'A school with this code already exists.' });
    expect(await schoolCount()).toBe(1);
  });

  it('allows many schools without a code', async () => {
    expect((await post({ name: 'A' })).status).toBe(201);
    expect((await post({ name: 'B' })).status).toBe(201);
  });
});

describe('GET /schools/{schoolId}', () => {
  it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
    expect((await getSchool('x')).status).toBe(400);
    expect((await getSchool('0b5c3f4e-8f7a-4c62-9d3e-2f9a1b6c7d80')).status).toBe(404);
  });

  it('answers 404 for a soft-deleted school', async () => {
    const { body } = await post({ name: 'Closed' });
    await withClient((c) => c.query(`UPDATE schools SET "deletedAt" = now() WHERE "schoolId" = $1`, [body.schoolId]));

    expect((await getSchool(body.schoolId)).status).toBe(404);
  });
});
