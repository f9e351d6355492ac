import { handler as list } from '../../functions/list';
import { getModels } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';

/**
 * The project's own models (shared/models/) and both `belongsToMany` associations, as the original
 * service's callers used them, against the migrated schema: renaming an alias, a foreign key or the
 * through model fails here (tests/schema/original-models.test.ts checks a copy of the original models).
 */
const { User, School, UserSchool } = getModels();

const membersOf = (schoolId: string) => invoke(list, { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId } });

beforeEach(resetDatabase);

describe("the service's models and their associations", () => {
  it('declare both sides of the many-to-many with the aliases and keys of the data model', () => {
    expect(User.associations.userSchools).toMatchObject({
      associationType: 'BelongsToMany',
      target: School,
      through: { model: UserSchool },
      foreignKey: 'userUserId',
      otherKey: 'schoolSchoolId',
    });
    expect(School.associations.schoolUsers).toMatchObject({
      associationType: 'BelongsToMany',
      target: User,
      through: { model: UserSchool },
      foreignKey: 'schoolSchoolId',
      otherKey: 'userUserId',
    });
  });

  it('addUserSchool(school, { through: { role } }) links with that role, as the API then lists it', async () => {
    const user = await User.create({ firstName: 'Grace', lastName: 'Hopper' });
    const school = await School.create({ name: 'Navy School' });

    await user.addUserSchool(school, { through: { role: 'guestLecturer' } });

    const rows = await withClient(async (c) => (await c.query(`SELECT "userUserId", "schoolSchoolId", role, source FROM user_schools`)).rows);
    expect(rows).toEqual([{ userUserId: user.userId, schoolSchoolId: school.schoolId, role: 'guestLecturer', source: 'api' }]);
    expect((await membersOf(school.schoolId)).body.items).toEqual([
      expect.objectContaining({ userId: user.userId, membership: { role: 'guestLecturer', since: expect.any(String) } }),
    ]);
  });

  it('getSchoolUsers() reads the members of a school with their membership', async () => {
    const [ada, charles] = await User.bulkCreate([{ firstName: 'Ada', lastName: 'Lovelace' }, { firstName: 'Charles', lastName: 'Babbage' }]);
    const school = await School.create({ name: 'Analytical Academy' });
    await ada.addUserSchool(school, { through: { role: 'principal' } });
    await school.addSchoolUser(charles);

    const members = await school.getSchoolUsers({ order: [['lastName', 'ASC']] });

    expect(members.map((u) => [u.userId, u.UserSchool?.role])).toEqual([
      [charles.userId, 'teacher'],
      [ada.userId, 'principal'],
    ]);
  });

  it("User.findAll({ include: 'userSchools' }) loads each user's schools, and School's 'schoolUsers' the other way", async () => {
    const ada = await User.create({ firstName: 'Ada' });
    const schools = await School.bulkCreate([{ name: 'Analytical Academy' }, { name: 'Babbage High' }]);
    await ada.addUserSchool(schools[0], { through: { role: 'aide' } });
    await ada.addUserSchool(schools[1]);

    const [withSchools] = await User.findAll({ include: 'userSchools', order: [['userSchools', 'name', 'ASC']] });
    const withUsers = await School.findAll({ include: 'schoolUsers', order: [['name', 'ASC']] });

    expect(withSchools.userSchools?.map((s) => [s.schoolId, s.UserSchool?.role])).toEqual([
      [schools[0].schoolId, 'aide'],
      [schools[1].schoolId, 'teacher'],
    ]);
    expect(withUsers.map((s) => [s.schoolId, s.schoolUsers?.map((u) => u.userId)])).toEqual([
      [schools[0].schoolId, [ada.userId]],
      [schools[1].schoolId, [ada.userId]],
    ]);
  });
});
